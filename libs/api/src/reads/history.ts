import {
  endpointStream,
  jobStream,
  parseEndpointStream,
  parseJobStream,
  parsePlannerStream,
  plannerStream,
  type Actor,
  type EventType,
  type RecordedEvent,
} from '@orrery/domain';
import type { EventStoreSchema } from '@orrery/event-store';
import type { Kysely } from 'kysely';
import { ProblemError } from '../problem.js';
import { configChanges } from './config-changes.js';
import { summarizeEvent } from './event-summary.js';
import { eventView, jobStreamIds, readEventsAt, selectEvents, type EventFilter } from './events.js';

type EventsDb = Kysely<EventStoreSchema>;

/** One line of a timeline: an event of the log, said in words, with its data. */
export interface HistoryEntry {
  readonly type: EventType;
  readonly position: number;
  readonly recordedAt: string;
  readonly streamId: string;
  /** What the stream is about: `<endpointId>`, `job <jobId>`, `planner <endpointId>`. */
  readonly subject: string;
  readonly actor: Actor;
  /** The run (or event) that directly caused it, when recorded. */
  readonly causationId: string | null;
  readonly summary: string;
  /** The event's data, secret values read "***". */
  readonly data: Record<string, unknown>;
}

export interface History {
  readonly target: { readonly kind: 'endpoint' | 'job'; readonly id: string };
  /** Ascending by position. */
  readonly entries: readonly HistoryEntry[];
  /** Whether earlier entries in the window were left out (by `limit`). */
  readonly more: boolean;
}

export interface HistoryQuery {
  /** Inclusive lower bound on `recordedAt` (ISO-8601). */
  readonly since?: string | undefined;
  /** Exclusive upper bound on `recordedAt` (ISO-8601). */
  readonly until?: string | undefined;
  /** The latest this many entries of the window. */
  readonly limit: number;
}

/**
 * The latest `limit` events matching `filter` (at or before `upTo`, when given), ascending; with
 * `streamIds`, only those streams. For timelines and tails, which show the end of the log.
 */
export async function readLatestEvents(
  db: EventsDb,
  filter: EventFilter,
  options: { limit: number; upTo?: number; streamIds?: readonly string[] },
): Promise<{ events: RecordedEvent[]; more: boolean }> {
  let query = selectEvents(db, filter, undefined);
  if (options.upTo !== undefined) query = query.where('position', '<=', options.upTo);
  if (options.streamIds) query = query.where('stream_id', 'in', [...options.streamIds]);
  const rows = await query
    .select('position')
    .orderBy('position', 'desc')
    .limit(options.limit + 1)
    .execute();
  const positions = rows.slice(0, options.limit).map((row) => row.position);
  return {
    events: await readEventsAt(db, filter.tenantId, positions),
    more: rows.length > options.limit,
  };
}

async function hasStream(db: EventsDb, tenantId: string, streamId: string): Promise<boolean> {
  const row = await db
    .selectFrom('events')
    .select('position')
    .where('tenant_id', '=', tenantId)
    .where('stream_id', '=', streamId)
    .limit(1)
    .executeTakeFirst();
  return row !== undefined;
}

/**
 * The streams a timeline reads: an endpoint's own and its planner stream; a job's own, and
 * those of every endpoint registered in it. `job:<id>` or `endpoint:<id>` says which; a bare
 * id is the endpoint when there is one, else the job.
 *
 * @throws ProblemError not_found when the tenant has neither.
 */
export async function historyStreams(
  db: EventsDb,
  tenantId: string,
  ref: string,
): Promise<{ target: History['target']; streamIds: string[] }> {
  const [, kind, id = ref] = /^(endpoint|job):(.*)$/.exec(ref) ?? [];
  if (kind !== 'job' && (await hasStream(db, tenantId, endpointStream(tenantId, id)))) {
    return {
      target: { kind: 'endpoint', id },
      streamIds: [endpointStream(tenantId, id), plannerStream(tenantId, id)],
    };
  }
  if (kind !== 'endpoint') {
    const streams = await jobStreamIds(db, tenantId, id);
    if (streams.length > 1 || (await hasStream(db, tenantId, jobStream(tenantId, id)))) {
      const planners = streams.flatMap((stream) => {
        const endpoint = parseEndpointStream(stream);
        return endpoint ? [plannerStream(tenantId, endpoint.id)] : [];
      });
      return { target: { kind: 'job', id }, streamIds: [...streams, ...planners] };
    }
  }
  const what = kind ?? 'endpoint or job';
  throw new ProblemError('not_found', `${what} ${id} not found in tenant ${tenantId}`);
}

/** `extract`, `job nightly`, `planner extract`: what a stream is about. */
export function subjectOf(streamId: string): string {
  const endpoint = parseEndpointStream(streamId);
  if (endpoint) return endpoint.id;
  const job = parseJobStream(streamId);
  if (job) return `job ${job.id}`;
  const planner = parsePlannerStream(streamId);
  if (planner) return `planner ${planner.id}`;
  return streamId;
}

/** An event as a timeline shows it. */
export function historyEntry(event: RecordedEvent): HistoryEntry {
  const view = eventView(event);
  return {
    type: event.type,
    position: event.position,
    recordedAt: event.recordedAt,
    streamId: event.streamId,
    subject: subjectOf(event.streamId),
    actor: event.metadata.actor,
    causationId: event.metadata.causationId ?? null,
    summary: summarizeEvent(event),
    data: view.data,
  };
}

/**
 * What happened to an endpoint (its stream and its planner sessions) or a job (its stream and
 * every endpoint of it): the latest `limit` events in the window, oldest first, each in words.
 *
 * @throws ProblemError not_found when the tenant has no such endpoint or job.
 */
export async function readHistory(
  db: EventsDb,
  tenantId: string,
  ref: string,
  query: HistoryQuery,
): Promise<History> {
  const { target, streamIds } = await historyStreams(db, tenantId, ref);
  const filter: EventFilter = {
    tenantId,
    ...(query.since === undefined ? {} : { from: Date.parse(query.since) }),
    ...(query.until === undefined ? {} : { to: Date.parse(query.until) }),
  };
  const { events, more } = await readLatestEvents(db, filter, { limit: query.limit, streamIds });
  const entries = await Promise.all(
    events.map(async (event) => {
      const entry = historyEntry(event);
      if (event.type !== 'EndpointReconfigured') return entry;
      // Who changed what: the paths this reconfiguration changed, from the config before it.
      const paths = await configChanges(db, tenantId, event);
      return paths === null
        ? entry
        : { ...entry, summary: `reconfigured: ${paths.join(', ') || 'nothing changed'}` };
    }),
  );
  return { target, entries, more };
}
