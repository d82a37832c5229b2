import { schemaVersionOf, type AppendRequest, type RecordedEvent } from '@orrery/domain';
import { sql, type CompiledQuery, type Kysely, type RawBuilder, type Transaction } from 'kysely';
import { streamsOf, type PlannedEvent } from './append-plan.js';
import { toPosition } from './postgres-connection.js';
import { EVENTS_CHANNEL, type EventRow, type EventStoreSchema } from './schema.js';
import { decodeEvent } from './stored-event.js';

// The statements behind PostgresEventStore (see its file for the ordering technique).

/** An idempotency key and the stream it is scoped to. */
export interface StreamKey {
  readonly streamId: string;
  readonly key: string;
}
const STREAM_VERSION_CONSTRAINT = 'events_stream_version_key';

/** The current version of each stream the requests touch, in one statement. */
export async function currentVersions(
  db: Kysely<EventStoreSchema> | Transaction<EventStoreSchema>,
  requests: readonly AppendRequest[],
): Promise<Map<string, number>> {
  const streamIds = [...new Set(requests.map((r) => r.streamId))];
  const rows = await db
    .selectFrom('events')
    .select(['stream_id', (eb) => eb.fn.max('stream_version').as('version')])
    .where('stream_id', '=', sql<string>`any(${streamIds}::text[])`)
    .groupBy('stream_id')
    .execute();
  return new Map(rows.map((row) => [row.stream_id, row.version]));
}

/**
 * The streams' current versions and which idempotency keys the log already
 * holds, in ONE statement (one round trip while the ordering lock is held).
 */
export async function versionsAndKeys(
  db: Kysely<EventStoreSchema> | Transaction<EventStoreSchema>,
  requests: readonly AppendRequest[],
  keys: readonly StreamKey[],
): Promise<{ current: Map<string, number>; existingKeys: Set<string> }> {
  const streamIds = streamsOf(requests);
  const { rows } = await sql<{
    kind: 'v' | 'k';
    id: string;
    version: unknown;
  }>`/* prepare: orrery-versions-and-keys */
    select 'v' as kind, s.id, v.version::bigint
      from unnest(${streamIds}::text[]) as s(id)
      cross join lateral (
        -- one backwards probe of the (stream_id, stream_version) index per stream,
        -- however long the stream has grown
        select stream_version as version from events
        where stream_id = s.id order by stream_version desc limit 1
      ) v
    union all
    select 'k', e.stream_id || E'\n' || e.idempotency_key, 0
      from unnest(${keys.map((k) => k.streamId)}::text[], ${keys.map((k) => k.key)}::text[])
        as k(stream_id, key)
      join events e on e.stream_id = k.stream_id and e.idempotency_key = k.key
`.execute(db);
  const current = new Map<string, number>();
  const existingKeys = new Set<string>();
  for (const row of rows) {
    if (row.kind === 'v') current.set(row.id, Number(row.version));
    else existingKeys.add(row.id); // `<stream>\n<key>`, the form of scopedKey()
  }
  return { current, existingKeys };
}

/**
 * Inserts all planned events with one statement (arrays unnested in order, so
 * positions follow the plan) and notifies subscribers with the last position.
 * The notification is delivered at commit, and only if the transaction commits.
 */
export async function insertEvents(
  trx: Kysely<EventStoreSchema> | Transaction<EventStoreSchema>,
  events: readonly PlannedEvent[],
  unchanged?: Unchanged,
): Promise<number[]> {
  const { rows } = await insertEventsQuery(events, unchanged).execute(trx);
  return rows.map((row) => toPosition(row.position));
}

/**
 * What the optimistic insert checks under the lock: every stream still at the version the plan
 * was made from and none of the keys in the log yet (else it inserts nothing).
 */
export interface Unchanged {
  readonly versions: ReadonlyMap<string, number>;
  readonly keys: readonly StreamKey[];
}

/** {@link insertEvents}' statement, not run: it returns the positions inserted, in order. */
export function insertEventsQuery(
  events: readonly PlannedEvent[],
  /** Insert only if nothing changed since the plan (else nothing, and no rows). */
  unchanged?: Unchanged,
): RawBuilder<{ position: unknown }> {
  const guard =
    unchanged === undefined
      ? sql``
      : sql`where not exists (
          select 1 from unnest(${[...unchanged.versions.keys()]}::text[],
                               ${[...unchanged.versions.values()]}::int4[]) as g(id, v)
          where coalesce((select stream_version from events where stream_id = g.id
                          order by stream_version desc limit 1), 0) <> g.v)
        and not exists (
          select 1 from unnest(${unchanged.keys.map((k) => k.streamId)}::text[],
                               ${unchanged.keys.map((k) => k.key)}::text[]) as k(stream_id, key)
          join events e on e.stream_id = k.stream_id and e.idempotency_key = k.key)`;
  // The batch travels as ONE JSON document (one native JSON.stringify, parsed once by
  // Postgres) rather than text arrays, which the driver escapes character by character.
  const batch = JSON.stringify(
    events.map((e, n) => ({
      s: e.streamId,
      v: e.streamVersion,
      t: e.event.type,
      tv: schemaVersionOf(e.event.type),
      d: e.event.data,
      m: e.event.metadata,
      tenant: e.event.metadata.tenantId,
      r: e.recordedAt ?? null,
      k: e.idempotencyKey,
      n,
    })),
  );
  // The log's time never goes back (migration 0007): under the ordering lock, the log's last
  // event is final, and no event is recorded before it. Without a pinned instant (every append
  // of the services), the batch is recorded at one instant: the clock, or the last event's if
  // the clock is behind it. With pins, each event's floor is the latest instant before it (the
  // log's last, or an earlier one of the batch): a clock stamp below it is moved up, a pinned
  // instant below it refused.
  const last = sql`(select recorded_at from events order by position desc limit 1)`;
  const recordset = sql`jsonb_to_recordset(${batch}::jsonb) as u(s text, v int4, t text,
    tv int4, d jsonb, m jsonb, tenant text, r timestamptz, k text, n int4)`;
  const stamped = events.some((e) => e.recordedAt !== undefined)
    ? sql`(
        select *, case when r < floor then events_refuse_time_order(r, floor, s)
                       else greatest(own, floor) end as at
        from (
          select *, greatest(${last},
              max(own) over (order by n rows between unbounded preceding and 1 preceding)) as floor
          from (select *, coalesce(r, clock_timestamp()) as own from ${recordset}) as u
        ) as u
      )`
    : sql`(select *, (select greatest(clock_timestamp(), ${last})) as at from ${recordset})`;
  return sql<{ position: unknown }>`
    with inserted as (
      insert into events
        (stream_id, stream_version, type, type_version, data, metadata, tenant_id, recorded_at,
         idempotency_key)
      select s, v, t, tv, d, m, tenant, at, k
      from ${stamped} as u
      ${guard}
      order by n
      returning position
    ),
    notified as (
      select pg_notify(${EVENTS_CHANNEL}, max(position)::text) from inserted
    )
    select position from inserted, notified order by position`;
}

/**
 * `value` as a dollar-quoted literal (`$o$…$o$`): Postgres takes its text as it is, so nothing is
 * escaped — pg's `escapeLiteral` walks a string a character at a time in JavaScript, which on a
 * batch's JSON document cost more than the round trip it saves. The tag is one the text cannot
 * end early: the first place it occurs in text + tag is the closing one.
 */
export function dollarQuoted(value: string): string {
  for (let n = 0; ; n++) {
    const tag = n === 0 ? '$o$' : `$o${n}$`;
    if (`${value}${tag}`.indexOf(tag) === value.length) return `${tag}${value}${tag}`;
  }
}

/**
 * A compiled statement as one SQL text, each `$n` replaced by its value written as a literal, so
 * it can travel with other statements in one simple query (which takes no parameters). Strings
 * are dollar-quoted ({@link dollarQuoted}), arrays written as `array[…]` of such literals (`'{}'`
 * when empty: every array parameter is cast), numbers as digits. Any other value is refused
 * rather than guessed at.
 */
export function inlineParameters({ sql: text, parameters }: CompiledQuery): string {
  const literal = (value: unknown, name: string): string => {
    if (typeof value === 'string') return dollarQuoted(value);
    if (typeof value === 'number' && Number.isFinite(value)) return String(value);
    if (value === null) return 'null';
    if (Array.isArray(value)) {
      return value.length === 0
        ? "'{}'"
        : `array[${value.map((element) => literal(element, name)).join(', ')}]`;
    }
    throw new TypeError(`parameter ${name} cannot be written as a literal: ${typeof value}`);
  };
  return text.replace(/\$(\d+)/g, (_, n: string) => {
    const index = Number(n) - 1;
    if (index >= parameters.length) throw new RangeError(`no parameter $${n} in the statement`);
    return literal(parameters[index], `$${n}`);
  });
}

export function fromRow(row: EventRow): RecordedEvent {
  return decodeEvent({
    position: toPosition(row.position),
    streamId: row.stream_id,
    streamVersion: row.stream_version,
    type: row.type,
    typeVersion: row.type_version,
    data: row.data,
    metadata: row.metadata,
    recordedAt: row.recorded_at,
  });
}

export function isStreamVersionConflict(error: unknown): boolean {
  return (
    typeof error === 'object' &&
    error !== null &&
    'code' in error &&
    error.code === '23505' &&
    'constraint' in error &&
    error.constraint === STREAM_VERSION_CONSTRAINT
  );
}
