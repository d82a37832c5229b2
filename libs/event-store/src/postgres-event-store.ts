/**
 * PostgreSQL EventStore (Kysely + pg).
 *
 * Ordering: position assignment is SERIALIZED. Every append transaction first
 * takes `pg_advisory_xact_lock(ORDERING_LOCK_KEY)`, then checks the expected
 * versions, then inserts (the identity column hands out positions) and
 * commits. The lock is released only after the commit is visible, so append
 * transactions commit one after another, in position order: when a reader
 * sees position p, every lower position is already committed (or rolled back
 * for good). A reader doing `WHERE position > $checkpoint ORDER BY position`
 * therefore never skips an event that commits late with a lower position.
 * The version check is a separate statement after the lock so its snapshot
 * includes the previous holder's commit. The cost is one writer at a time,
 * which `appendMany` amortises (one transaction, one INSERT for a batch).
 */
import {
  ConcurrencyError,
  type AppendOutcome,
  type AppendRequest,
  type AppendResult,
  type DomainEvent,
  type EventStore,
  type ExpectedVersion,
  type ReadAllOptions,
  type ReadTypesOptions,
  type RecordedEvent,
  type SubscribeOptions,
  type Subscription,
  type TypesPage,
} from '@orrery/domain';
import { SpanKind, type Span, type Tracer } from '@opentelemetry/api';
import { endSpan, noopInstrumentation, type Instrumentation } from '@orrery/telemetry';
import { sql, type Kysely } from 'kysely';
import type pg from 'pg';
import {
  expectedState,
  isTimeOrderRefusal,
  keysOf,
  planOptimistically,
  streamsOf,
  outcomesOf,
  planAppend,
  TimeOrderError,
  type PlanContext,
  type PlannedEvent,
} from './append-plan.js';
import { batchType, EVENT_STORE_ATTRIBUTES, EventStoreMetrics } from './event-store-metrics.js';
import { createEventStoreDb, createEventStorePool, toPosition } from './postgres-connection.js';
import { notificationWakeSource } from './postgres-listener.js';
import {
  currentVersions,
  fromRow,
  inlineParameters,
  insertEvents,
  insertEventsQuery,
  isStreamVersionConflict,
  versionsAndKeys,
  type Unchanged,
} from './postgres-statements.js';
import type { EventRow, EventStoreSchema } from './schema.js';

type Nullable<T> = { [K in keyof T]: T[K] | null };
import { SubscriptionLoop } from './subscription-loop.js';

/** Advisory lock key that serializes appends ("orr" in ASCII, then 0001). */
export const ORDERING_LOCK_KEY = 0x6f7272_0001;
const BEGIN_AND_LOCK = `begin; select pg_advisory_xact_lock(${ORDERING_LOCK_KEY})`;
/** Epoch milliseconds of a Postgres instant, as a float8 (the driver reads it as a number). */
const ms = (instant: string) => `(extract(epoch from ${instant}) * 1000)::float8`;
const DEFAULT_READ_LIMIT = 1000;

export interface PostgresEventStoreOptions {
  /** Server and database of the log; subscriptions open their LISTEN connection with it. */
  readonly connectionString: string;
  /** Use this pool instead of creating one (then `close()` leaves it open). */
  readonly pool?: pg.Pool;
  /** Pool size when the store creates its pool. Default 10. */
  readonly maxConnections?: number;
  /** Subscriptions re-read at least this often, even without a notification. Default 500 ms. */
  readonly pollIntervalMs?: number;
  /** Tracer and meter for appends and reads (see docs/observability.md). Default: no-ops. */
  readonly instrumentation?: Instrumentation;
}

/**
 * The event log in PostgreSQL (table `events`, see `migrateToLatest`).
 *
 * @example
 * const store = createPostgresEventStore({ connectionString: process.env.DATABASE_URL });
 * await store.append('endpoint-e1', [event], { expectedVersion: 0 });
 */
export class PostgresEventStore implements EventStore {
  readonly #db: Kysely<EventStoreSchema>;
  readonly #pool: pg.Pool;
  readonly #ownsPool: boolean;
  readonly #subscriptions = new Set<Subscription>();
  readonly #tracer: Tracer;
  readonly #metrics: EventStoreMetrics;
  #closing: Promise<void> | undefined;

  constructor(private readonly options: PostgresEventStoreOptions) {
    this.#ownsPool = options.pool === undefined;
    const { tracer, meter } = options.instrumentation ?? noopInstrumentation;
    this.#tracer = tracer;
    this.#metrics = new EventStoreMetrics(meter);
    this.#pool =
      options.pool ??
      createEventStorePool({
        connectionString: options.connectionString,
        max: options.maxConnections ?? 10,
      });
    this.#db = createEventStoreDb(this.#pool);
  }

  async append(
    streamId: string,
    events: readonly DomainEvent[],
    options: { expectedVersion: ExpectedVersion; recordedAt?: string },
  ): Promise<AppendResult> {
    const [result] = await this.appendMany([{ streamId, events, ...options }]);
    if (!result) throw new Error('appendMany returned no result for one request');
    return result;
  }

  async appendMany(requests: readonly AppendRequest[]): Promise<readonly AppendResult[]> {
    return (await this.#append(requests, 'atomic')) as AppendResult[];
  }

  async appendEach(requests: readonly AppendRequest[]): Promise<readonly AppendOutcome[]> {
    return this.#append(requests, 'each');
  }

  async #append(
    requests: readonly AppendRequest[],
    mode: PlanContext['mode'],
  ): Promise<AppendOutcome[]> {
    if (requests.length === 0) return [];
    const started = performance.now();
    const span = this.#tracer.startSpan('orrery.event_store.append', {
      kind: SpanKind.CLIENT,
      attributes: {
        'db.system.name': 'postgresql',
        [EVENT_STORE_ATTRIBUTES.mode]: mode,
        [EVENT_STORE_ATTRIBUTES.eventType]: batchType(requests),
        'orrery.append.requests': requests.length,
      },
    });
    let outcomes: AppendOutcome[] | undefined;
    let failure: unknown;
    try {
      outcomes = await this.#appendLocked(requests, mode, span);
      return outcomes;
    } catch (error) {
      failure = error;
      throw error;
    } finally {
      this.#metrics.appended(mode, requests, performance.now() - started, outcomes, failure);
      // A refused atomic append is an answer (re-read and retry), not a failure of the store.
      if (failure instanceof ConcurrencyError)
        span.setAttribute('orrery.append.outcome', 'conflict');
      endSpan(span, failure instanceof ConcurrencyError ? undefined : failure);
    }
  }

  async #appendLocked(
    requests: readonly AppendRequest[],
    mode: PlanContext['mode'],
    span: Span,
  ): Promise<AppendOutcome[]> {
    try {
      // Plan before taking the lock, then insert in one round trip: under the lock, the insert
      // runs only if every stream is still at the version the plan assumed and no key has
      // appeared (then the plan is exact). The first plan assumes what the requests expect
      // (see `expectedState`), so a caller that read its streams right pays no read here; if
      // that insert is refused, the streams' versions and keys are read and the plan made again,
      // and if that insert is refused too, the plan is made under the lock.
      const keys = keysOf(requests);
      const guesses = [
        () => Promise.resolve(expectedState(requests)),
        () => versionsAndKeys(this.#db, requests, keys),
      ];
      for (const guess of guesses) {
        const assumed = await guess();
        if (assumed === null) continue;
        const optimistic = planOptimistically(requests, assumed, mode);
        if (!optimistic) continue;
        const versions = new Map(
          streamsOf(requests).map((id) => [id, assumed.current.get(id) ?? 0]),
        );
        const positions = await this.#insertInOneRoundTrip(optimistic.events, { versions, keys });
        if (positions.length > 0) {
          span.setAttribute('orrery.append.events', positions.length);
          return outcomesOf(optimistic, positions);
        }
        span.addEvent('optimistic insert refused');
      }
      return await this.#db.connection().execute(async (conn) => {
        const asked = performance.now();
        await sql.raw(BEGIN_AND_LOCK).execute(conn);
        const locked = performance.now();
        try {
          span.addEvent('replanned under the lock');
          const { current, existingKeys } = await versionsAndKeys(conn, requests, keys);
          const plan = planAppend(requests, { current, existingKeys, mode });
          const positions = plan.events.length > 0 ? await insertEvents(conn, plan.events) : [];
          await sql.raw('commit').execute(conn);
          this.#metrics.lock(locked - asked, performance.now() - locked);
          span.setAttribute('orrery.append.events', positions.length);
          return outcomesOf(plan, positions);
        } catch (error) {
          await sql
            .raw('rollback')
            .execute(conn)
            .catch(() => {});
          this.#metrics.lock(locked - asked, performance.now() - locked);
          throw error;
        }
      });
    } catch (error) {
      if (isTimeOrderRefusal(error)) throw new TimeOrderError(error.message, { cause: error });
      if (!isStreamVersionConflict(error)) throw error;
      // Backstop: a writer outside this store's lock took the version first.
      const actual = await currentVersions(this.#db, requests);
      const culprit =
        requests.find(
          (r) => r.expectedVersion !== 'any' && r.expectedVersion !== (actual.get(r.streamId) ?? 0),
        ) ?? requests[0];
      if (!culprit) throw error;
      throw new ConcurrencyError(
        culprit.streamId,
        culprit.expectedVersion,
        actual.get(culprit.streamId) ?? 0,
      );
    }
  }

  /**
   * The planned events inserted if nothing changed since the plan: begin, the ordering lock, the
   * guarded insert and the commit sent as ONE simple query (the values written into it as
   * literals, see `inlineParameters`), so the lock is held for Postgres's own work only — not
   * for a round trip, nor for this process's event loop between the insert's answer and the
   * commit. The lock's wait and hold are read from Postgres's clock. The positions inserted, or
   * [] when the guard refused (nothing was inserted; the transaction committed empty).
   */
  async #insertInOneRoundTrip(
    events: readonly PlannedEvent[],
    unchanged: Unchanged,
  ): Promise<number[]> {
    const insert = inlineParameters(insertEventsQuery(events, unchanged).compile(this.#db));
    const text = [
      'begin',
      `select pg_advisory_xact_lock(${ORDERING_LOCK_KEY}),
        ${ms('statement_timestamp()')} as asked, ${ms('clock_timestamp()')} as locked`,
      insert,
      'commit',
      `select ${ms('clock_timestamp()')} as done`,
    ].join(';\n');
    const client = await this.#pool.connect();
    let broken: Error | undefined;
    try {
      const results = (await client.query(text)) as unknown as pg.QueryResult[];
      const [, lock, inserted, , done] = results;
      const { asked, locked } = lock?.rows[0] as { asked: number; locked: number };
      this.#metrics.lock(locked - asked, (done?.rows[0] as { done: number }).done - locked);
      return (inserted?.rows ?? []).map((row: { position: unknown }) => toPosition(row.position));
    } catch (error) {
      // A statement that failed skipped the ones after it: its transaction is open, aborted.
      await client.query('rollback').catch((failure: unknown) => {
        broken = failure instanceof Error ? failure : new Error(String(failure));
      });
      throw error;
    } finally {
      client.release(broken);
    }
  }

  async readStream(
    streamId: string,
    options: { fromVersion?: number } = {},
  ): Promise<readonly RecordedEvent[]> {
    const started = performance.now();
    const rows = await this.#db
      .selectFrom('events')
      .selectAll()
      .where('stream_id', '=', streamId)
      .where('stream_version', '>=', options.fromVersion ?? 1)
      .orderBy('stream_version')
      .execute();
    const events = rows.map(fromRow);
    this.#metrics.read('stream', performance.now() - started);
    return events;
  }

  async readAll({
    after,
    limit = DEFAULT_READ_LIMIT,
  }: ReadAllOptions): Promise<readonly RecordedEvent[]> {
    const started = performance.now();
    const rows = await this.#db
      .selectFrom('events')
      .selectAll()
      .where('position', '>', after)
      .orderBy('position')
      .limit(limit)
      .execute();
    const events = rows.map(fromRow);
    this.#metrics.read('all', performance.now() - started);
    return events;
  }

  async readTypes({
    after,
    limit = DEFAULT_READ_LIMIT,
    types,
  }: ReadTypesOptions): Promise<TypesPage> {
    const started = performance.now();
    // One statement, so the head and the events come from one snapshot: every position up to the
    // head it sees is committed for good (the ordering lock), none of the types missed. The rows
    // of other types are passed over by the primary key's range scan, never sent.
    const { rows } = await sql<
      Nullable<EventRow> & { head: unknown }
    >`/* prepare: orrery-read-types */
      select h.head, e.* from (select max(position) as head from events) h
      left join lateral (
        select * from events where position > ${after} and type = any(${types}::text[])
        order by position limit ${limit}
      ) e on true`.execute(this.#db);
    const events = rows.flatMap((row) => (row.position === null ? [] : [fromRow(row as EventRow)]));
    this.#metrics.read('types', performance.now() - started);
    const last = events.at(-1);
    const head = toPosition(rows[0]?.head ?? 0);
    return {
      events,
      through: events.length >= limit && last ? last.position : Math.max(after, head),
    };
  }

  subscribe(options: SubscribeOptions): Subscription {
    const subscription: Subscription = new SubscriptionLoop(options, {
      onEnded: () => this.#subscriptions.delete(subscription),
      readAll: (after, limit) => this.readAll({ after, limit }),
      wakeSource: notificationWakeSource(this.options.connectionString),
      pollIntervalMs: this.options.pollIntervalMs ?? 500,
    });
    this.#subscriptions.add(subscription);
    return subscription;
  }

  async headPosition(): Promise<number> {
    const { rows } = await sql<{ head: unknown }>`
      select coalesce(max(position), 0) as head from events`.execute(this.#db);
    return toPosition(rows[0]?.head ?? 0);
  }

  /** Stops the store's subscriptions, then ends its pool (not a pool passed in). */
  async close(): Promise<void> {
    this.#closing ??= this.#close();
    return this.#closing;
  }

  async #close(): Promise<void> {
    const open = [...this.#subscriptions];
    this.#subscriptions.clear();
    await Promise.allSettled(open.map((s) => s.stop()));
    if (this.#ownsPool) await this.#db.destroy();
  }
}

/** Builds a {@link PostgresEventStore}. */
export function createPostgresEventStore(options: PostgresEventStoreOptions): PostgresEventStore {
  return new PostgresEventStore(options);
}
