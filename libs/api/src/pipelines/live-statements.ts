import {
  ENDPOINT_STATE_VERSION,
  JOB_STATE_VERSION,
  type EndpointState,
  type JobState,
  type RecordedEvent,
} from '@orrery/domain';
import { decodeEventRow, type EventRow, type EventStoreSchema } from '@orrery/event-store';
import type { SchedulingDb } from '@orrery/scheduling';
import { sql, type Kysely } from 'kysely';

// The statements an apply reads what is live with. Each reads any number of streams in ONE round
// trip: one indexed probe per stream, so a 10 000-endpoint document costs three statements, not
// 20 000 (see the pipeline phase of `npm run bench`).

const any = (ids: readonly string[]) => sql<string>`any(${[...ids]}::text[])`;

/**
 * The read model's snapshot of each endpoint that has one (`schedule.state` at
 * `stream_version`), by endpoint id. A snapshot of another state version is not trusted (left
 * out: its stream is folded from the start).
 */
export async function endpointSnapshots(
  db: SchedulingDb,
  tenantId: string,
  ids: readonly string[],
): Promise<Map<string, EndpointState>> {
  if (ids.length === 0) return new Map();
  const rows = await db
    .selectFrom('schedule')
    .select(['endpoint_id', 'state', 'stream_version', 'state_version'])
    .where('tenant_id', '=', tenantId)
    .where('endpoint_id', '=', any(ids))
    .where('state_version', '=', ENDPOINT_STATE_VERSION)
    .execute();
  return new Map(
    rows.map((row) => [
      row.endpoint_id,
      { ...(row.state as EndpointState), version: row.stream_version },
    ]),
  );
}

/** The same for jobs (`jobs.state`). */
export async function jobSnapshots(
  db: SchedulingDb,
  tenantId: string,
  ids: readonly string[],
): Promise<Map<string, JobState>> {
  if (ids.length === 0) return new Map();
  const rows = await db
    .selectFrom('jobs')
    .select(['job_id', 'state', 'stream_version', 'state_version'])
    .where('tenant_id', '=', tenantId)
    .where('job_id', '=', any(ids))
    .where('state_version', '=', JOB_STATE_VERSION)
    .execute();
  return new Map(
    rows.map((row) => [row.job_id, { ...(row.state as JobState), version: row.stream_version }]),
  );
}

/**
 * The events of each stream after the version given for it (the tail after a snapshot; 0: the
 * whole stream), by stream id, in version order. One statement: a probe of the
 * `(stream_id, stream_version)` index per stream.
 */
export async function streamTails(
  events: Kysely<EventStoreSchema>,
  after: ReadonlyMap<string, number>,
): Promise<Map<string, RecordedEvent[]>> {
  const tails = new Map<string, RecordedEvent[]>();
  if (after.size === 0) return tails;
  const { rows } = await sql<EventRow>`
    select e.* from unnest(${[...after.keys()]}::text[], ${[...after.values()]}::int4[]) as s(id, v)
    join events e on e.stream_id = s.id and e.stream_version > s.v
    order by e.stream_id, e.stream_version`.execute(events);
  for (const row of rows) {
    const event = decodeEventRow(row);
    const tail = tails.get(event.streamId);
    if (tail) tail.push(event);
    else tails.set(event.streamId, [event]);
  }
  return tails;
}

/** The last event of a stream (null: no stream). */
export async function lastEvent(
  events: Kysely<EventStoreSchema>,
  streamId: string,
): Promise<RecordedEvent | null> {
  const row = await events
    .selectFrom('events')
    .selectAll()
    .where('stream_id', '=', streamId)
    .orderBy('stream_version', 'desc')
    .limit(1)
    .executeTakeFirst();
  return row ? decodeEventRow(row) : null;
}
