import {
  endpointStream,
  jobStream,
  plannerStream,
  tenantStream,
  type EventStore,
  type RecordedEvent,
} from '@orrery/domain';
import { sql } from 'kysely';
import type { SchedulingDb } from '../db.js';
import { readLog, type LogChunk } from './log-reader.js';
import type { ResolvedScope } from './tables.js';

/** What a replay reads: the whole log, or what one tenant, job or endpoint depends on. */
export interface EventSource {
  /** The position the replay covers: the scope's events up to it are all read. */
  readonly through: number;
  /** The last event to handle (its position, or 0 when there is none). */
  readonly last: number;
  /** Events to read (for the log: positions, as gaps are rare). */
  readonly total: number;
  /** The streams read, when the scope is read stream by stream; null when the log is scanned. */
  readonly streams: readonly string[] | null;
  /** Keeps the events of the scope; the fold skips the others. */
  readonly wants: (event: RecordedEvent) => boolean;
  /** The events, in position order, a chunk at a time. */
  readonly chunks: () => AsyncIterable<LogChunk>;
}

/** The last position at or before `to`: a position, or the first event recorded after a time. */
export async function boundOf(
  live: SchedulingDb,
  head: number,
  to?: number | Date,
): Promise<number> {
  if (to === undefined) return head;
  if (typeof to === 'number') return Math.min(to, head);
  // Up to, not including, the first event recorded after `to`: a prefix of the log either way.
  const { rows } = await sql<{ first: number | null }>`
    select min(position) as first from events where recorded_at > ${to}`.execute(live);
  const first = rows[0]?.first;
  return first === null || first === undefined ? head : Math.min(head, Number(first) - 1);
}

/** The streams an endpoint's or a job's read-model rows are folded from. */
export function scopeStreams(scope: ResolvedScope): string[] {
  return [
    ...(scope.endpoints ?? []).flatMap(({ tenantId, endpointId }) => [
      endpointStream(tenantId, endpointId),
      plannerStream(tenantId, endpointId),
    ]),
    ...(scope.jobs ?? []).map(({ tenantId, jobId }) => jobStream(tenantId, jobId)),
    ...(scope.tenants ?? []).map(tenantStream),
  ];
}

/**
 * One endpoint (or one job's endpoints) depends on its own stream, its planner stream, its job's
 * stream (the holds) and its tenant's (status): those are read whole, with `readStream`, and
 * merged in position order — never the rest of the log. Nothing of the live read model is
 * trusted as a starting point: the replay checks it.
 */
export async function streamSource(
  store: EventStore,
  streams: readonly string[],
  bound: number,
  batchSize: number,
): Promise<EventSource> {
  const events = (await Promise.all(streams.map((id) => store.readStream(id))))
    .flat()
    .filter((e) => e.position <= bound)
    .sort((a, b) => a.position - b.position);
  return {
    // The streams are read whole up to the bound: the replay covers the log up to it.
    through: bound,
    last: events.at(-1)?.position ?? 0,
    total: events.length,
    streams,
    wants: () => true,
    async *chunks() {
      for (let i = 0; i < events.length; i += batchSize) {
        const part = events.slice(i, i + batchSize);
        yield { events: part, unreadable: [], through: part.at(-1)?.position ?? 0, decodeMs: 0 };
      }
    },
  };
}

/**
 * The log from position 0 through `bound` (read as `readLog` does), keeping the events of one
 * tenant when asked.
 */
export async function logSource(
  connectionString: string,
  live: SchedulingDb,
  bound: number,
  tenants: readonly string[] | null,
  read: { readonly verify: boolean; readonly batchSize: number },
): Promise<EventSource> {
  const { rows } = await sql<{ through: number | null }>`
    select max(position) as through from events where position <= ${bound}`.execute(live);
  const through = Number(rows[0]?.through ?? 0);
  const kept = tenants && new Set(tenants);
  return {
    through,
    last: through,
    total: through,
    streams: null,
    wants: kept ? (e) => kept.has(e.metadata.tenantId) : () => true,
    chunks: () =>
      readLog(connectionString, { after: 0, through, chunk: read.batchSize, verify: read.verify }),
  };
}
