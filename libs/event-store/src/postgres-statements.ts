import { schemaVersionOf, type AppendRequest, type RecordedEvent } from '@orrery/domain';
import { sql, type Kysely, type Transaction } from 'kysely';
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
  const { rows } = await sql<{ kind: 'v' | 'k'; id: string; version: unknown }>`
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
  /**
   * Insert only if every stream is still at the version the plan was made
   * from and none of the keys has appeared (else nothing, and []).
   */
  unchanged?: {
    readonly versions: ReadonlyMap<string, number>;
    readonly keys: readonly StreamKey[];
  },
): Promise<number[]> {
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
  const { rows } = await sql<{ position: unknown }>`
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
    select position from inserted, notified order by position`.execute(trx);
  return rows.map((row) => toPosition(row.position));
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
