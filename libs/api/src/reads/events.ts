import {
  endpointStream,
  jobStream,
  parseEvent,
  placeEvent,
  type ActorKind,
  type DomainEvent,
  type EventType,
  type RecordedEvent,
} from '@orrery/domain';
import type { EventStoreSchema } from '@orrery/event-store';
import { REDACTED, redactHeaders, SecretBox } from '@orrery/secrets';
import { sql, type Kysely } from 'kysely';
import type { EventView } from '../schemas/events.js';

type EventsDb = Kysely<EventStoreSchema>;

/**
 * Which events of the log a reader wants. Always scoped to one tenant; every
 * other field narrows further (all must hold).
 */
export interface EventFilter {
  readonly tenantId: string;
  readonly streamId?: string;
  readonly endpointId?: string;
  /** The job's stream and the streams of the endpoints registered in the job. */
  readonly job?: { readonly jobId: string; readonly streamIds: readonly string[] };
  readonly types?: readonly EventType[];
  readonly actorKind?: ActorKind;
  /** Inclusive lower bound on `recorded_at` (epoch ms). */
  readonly from?: number;
  /** Exclusive upper bound on `recorded_at` (epoch ms). */
  readonly to?: number;
}

export interface EventFilterInput {
  readonly streamId?: string | undefined;
  readonly endpointId?: string | undefined;
  readonly jobId?: string | undefined;
  readonly type?: readonly EventType[] | undefined;
  readonly actorKind?: ActorKind | undefined;
  readonly from?: string | undefined;
  readonly to?: string | undefined;
}

/**
 * The streams of a job: its own and those of the endpoints registered in it,
 * read from the log (read-your-writes; an endpoint never changes job).
 */
export async function jobStreamIds(
  db: EventsDb,
  tenantId: string,
  jobId: string,
): Promise<string[]> {
  const rows = await db
    .selectFrom('events')
    .select('stream_id')
    .distinct()
    .where('tenant_id', '=', tenantId)
    // A literal, not a parameter: the planner then knows the partial index covers the query.
    .where(sql<boolean>`type = 'EndpointRegistered'`)
    .where(sql<string>`data->>'jobId'`, '=', jobId)
    .execute();
  return [jobStream(tenantId, jobId), ...rows.map((row) => row.stream_id)];
}

/** Builds the filter of a validated query (looking up the streams of `jobId`). */
export async function eventFilter(
  db: EventsDb,
  tenantId: string,
  query: EventFilterInput,
): Promise<EventFilter> {
  return {
    tenantId,
    ...(query.streamId === undefined ? {} : { streamId: query.streamId }),
    ...(query.endpointId === undefined ? {} : { endpointId: query.endpointId }),
    ...(query.jobId === undefined
      ? {}
      : { job: { jobId: query.jobId, streamIds: await jobStreamIds(db, tenantId, query.jobId) } }),
    ...(query.type === undefined ? {} : { types: query.type }),
    ...(query.actorKind === undefined ? {} : { actorKind: query.actorKind }),
    ...(query.from === undefined ? {} : { from: Date.parse(query.from) }),
    ...(query.to === undefined ? {} : { to: Date.parse(query.to) }),
  };
}

/**
 * The tenant's events matching `filter` after the exclusive cursor `after`:
 * a query to finish with a selection and an order. Appends are serialized in
 * position order (see the event store), so a cursor never skips an event that
 * commits late.
 */
export function selectEvents(db: EventsDb, filter: EventFilter, after: number | undefined) {
  let query = db.selectFrom('events').where('tenant_id', '=', filter.tenantId);
  if (after !== undefined) query = query.where('position', '>', after);
  if (filter.streamId !== undefined) query = query.where('stream_id', '=', filter.streamId);
  if (filter.endpointId !== undefined)
    query = query.where('stream_id', '=', endpointStream(filter.tenantId, filter.endpointId));
  if (filter.job) query = query.where('stream_id', 'in', [...filter.job.streamIds]);
  if (filter.types) query = query.where('type', 'in', [...filter.types]);
  if (filter.actorKind !== undefined)
    query = query.where(sql<string>`metadata #>> '{actor,kind}'`, '=', filter.actorKind);
  // A time bound is also a position bound (the log's time follows its order, migration 0007),
  // so a window is read where it lies rather than by walking the log from its start.
  if (filter.from !== undefined) {
    const from = new Date(filter.from);
    query = query
      .where('position', '>=', sql<number>`events_from_position(${from})`)
      .where('recorded_at', '>=', from);
  }
  if (filter.to !== undefined) {
    const to = new Date(filter.to);
    query = query
      .where('position', '<', sql<number>`events_before_position(${to})`)
      .where('recorded_at', '<', to);
  }
  return query;
}

/** The tenant's events at these positions, ascending, parsed as their catalogue types. */
export async function readEventsAt(
  db: EventsDb,
  tenantId: string,
  positions: readonly number[],
): Promise<RecordedEvent[]> {
  if (positions.length === 0) return [];
  const rows = await db
    .selectFrom('events')
    .select([
      'position',
      'stream_id',
      'stream_version',
      'type',
      'type_version',
      'data',
      'metadata',
      'recorded_at',
    ])
    .where('tenant_id', '=', tenantId)
    .where('position', 'in', [...positions])
    .orderBy('position')
    .execute();
  return rows.map((row) => {
    const parsed = parseEvent({
      type: row.type,
      version: row.type_version,
      data: row.data,
      metadata: row.metadata,
    });
    // Appends validate every event, so this is a broken invariant, not a client error.
    if (!parsed.ok)
      throw new Error(`event at position ${row.position} is unreadable: ${parsed.error.message}`);
    return placeEvent(parsed.value, {
      position: row.position,
      streamId: row.stream_id,
      streamVersion: row.stream_version,
      recordedAt: row.recorded_at.toISOString(),
    });
  });
}

/**
 * The same filter evaluated in memory, for the live tail. A job's stream set
 * grows when an endpoint is registered in the job while the tail is open.
 */
export function eventMatcher(filter: EventFilter): (event: RecordedEvent) => boolean {
  const jobStreams = filter.job ? new Set(filter.job.streamIds) : null;
  const types = filter.types ? new Set<string>(filter.types) : null;
  return (event) => {
    if (event.metadata.tenantId !== filter.tenantId) return false;
    if (
      jobStreams &&
      event.type === 'EndpointRegistered' &&
      event.data.jobId === filter.job?.jobId &&
      event.data.tenantId === filter.tenantId
    ) {
      jobStreams.add(event.streamId);
    }
    if (filter.streamId !== undefined && event.streamId !== filter.streamId) return false;
    if (
      filter.endpointId !== undefined &&
      event.streamId !== endpointStream(filter.tenantId, filter.endpointId)
    )
      return false;
    if (jobStreams && !jobStreams.has(event.streamId)) return false;
    if (types && !types.has(event.type)) return false;
    if (filter.actorKind !== undefined && event.metadata.actor.kind !== filter.actorKind)
      return false;
    const recordedAt = Date.parse(event.recordedAt);
    if (filter.from !== undefined && recordedAt < filter.from) return false;
    if (filter.to !== undefined && recordedAt >= filter.to) return false;
    return true;
  };
}

/** Secret header values read "***"; so do API key hashes (credential material). */
function redactData(event: DomainEvent): object {
  switch (event.type) {
    case 'EndpointRegistered':
    case 'EndpointReconfigured': {
      const { config } = event.data;
      const request = { ...config.request, headers: redactHeaders(config.request.headers) };
      return { ...event.data, config: { ...config, request } };
    }
    case 'CascadeTriggered': {
      // The rendered request a cascade sends: its secret headers stay sealed, and read "***".
      const { request } = event.data;
      if (request === undefined) return event.data;
      return { ...event.data, request: { ...request, headers: redactHeaders(request.headers) } };
    }
    case 'ApiKeyCreated':
      return { ...event.data, secretHash: REDACTED };
    default:
      return event.data;
  }
}

/** Defence in depth: a sealed value (`enc:v1:…`) never leaves, whatever field holds it. */
function scrubSealed(value: unknown): unknown {
  if (typeof value === 'string') return SecretBox.isSealed(value) ? REDACTED : value;
  if (Array.isArray(value)) return value.map(scrubSealed);
  if (value !== null && typeof value === 'object') return scrubRecord(value);
  return value;
}

const scrubRecord = (value: object): Record<string, unknown> =>
  Object.fromEntries(Object.entries(value).map(([key, item]) => [key, scrubSealed(item)]));

/** An event as API answers show it: its place in the log, its data with secrets redacted. */
export function eventView(event: RecordedEvent): EventView {
  return {
    position: event.position,
    streamId: event.streamId,
    streamVersion: event.streamVersion,
    type: event.type,
    data: scrubRecord(redactData(event)),
    metadata: event.metadata,
    recordedAt: event.recordedAt,
  };
}
