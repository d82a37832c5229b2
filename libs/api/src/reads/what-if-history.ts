import {
  endpointStream,
  jobStream,
  LOOKBACK_MS,
  parseEndpointStream,
  parseEvent,
  placeEvent,
  type EventType,
  type RecordedEvent,
  type WhatIfHistory,
} from '@orrery/domain';
import type { EventStoreSchema } from '@orrery/event-store';
import { sql, type Kysely } from 'kysely';
import { ProblemError } from '../problem.js';

type EventsDb = Kysely<EventStoreSchema>;

/** The simulated endpoints: each one's id and job, in the tenant, registered before `cut`. */
export interface Scope {
  readonly endpoints: readonly { readonly endpointId: string; readonly jobId: string }[];
}

/** The tenant's endpoints registered (before `cut`) with their jobs: by job, or these ids. */
export async function registrations(
  db: EventsDb,
  tenantId: string,
  filter: { readonly jobId: string } | { readonly endpointIds: readonly string[] },
  cut: Date,
): Promise<Map<string, string>> {
  if ('endpointIds' in filter && filter.endpointIds.length === 0) return new Map();
  let query = db
    .selectFrom('events')
    .select(['stream_id', sql<string>`data->>'jobId'`.as('job_id')])
    .where('tenant_id', '=', tenantId)
    .where('type', '=', 'EndpointRegistered')
    .where('recorded_at', '<', cut);
  query =
    'jobId' in filter
      ? query.where(sql<string>`data->>'jobId'`, '=', filter.jobId)
      : query.where(
          'stream_id',
          'in',
          filter.endpointIds.map((id) => endpointStream(tenantId, id)),
        );
  const rows = await query.orderBy('stream_id').execute();
  return new Map(
    rows.flatMap((row) => {
      const ref = parseEndpointStream(row.stream_id);
      return ref ? [[ref.id, row.job_id] as const] : [];
    }),
  );
}

/** Events of these streams recorded before `cut` (and at or after `since`), in log order. */
async function readStreams(
  db: EventsDb,
  tenantId: string,
  streamIds: readonly string[],
  options: { cut: Date; since?: Date; types?: readonly EventType[] },
): Promise<RecordedEvent[]> {
  if (streamIds.length === 0) return [];
  let query = db
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
    .where('stream_id', 'in', [...streamIds])
    .where('recorded_at', '<', options.cut);
  if (options.since) query = query.where('recorded_at', '>=', options.since);
  if (options.types) query = query.where('type', 'in', [...options.types]);
  const rows = await query.orderBy('position').execute();
  return rows.map((row) => {
    const parsed = parseEvent({
      type: row.type,
      version: row.type_version,
      data: row.data,
      metadata: row.metadata,
    });
    // Appends validate every event, so this is a broken invariant, not a client error.
    if (!parsed.ok) {
      throw new Error(`event at position ${row.position} is unreadable: ${parsed.error.message}`);
    }
    return placeEvent(parsed.value, {
      position: row.position,
      streamId: row.stream_id,
      streamVersion: row.stream_version,
      recordedAt: row.recorded_at.toISOString(),
    });
  });
}

/** How many events {@link readStreams} would read. */
async function countEvents(
  db: EventsDb,
  tenantId: string,
  streamIds: readonly string[],
  options: { cut: Date; since?: Date; types?: readonly EventType[] },
): Promise<number> {
  if (streamIds.length === 0) return 0;
  let query = db
    .selectFrom('events')
    .select((eb) => eb.fn.countAll<string>().as('n'))
    .where('tenant_id', '=', tenantId)
    .where('stream_id', 'in', [...streamIds])
    .where('recorded_at', '<', options.cut);
  if (options.since) query = query.where('recorded_at', '>=', options.since);
  if (options.types) query = query.where('type', 'in', [...options.types]);
  const row = await query.executeTakeFirst();
  return Number(row?.n ?? 0);
}

/** The upstreams of the edges ever declared on these endpoints (up to `cut`). */
async function declaredUpstreams(
  db: EventsDb,
  tenantId: string,
  endpointIds: readonly string[],
  cut: Date,
): Promise<string[]> {
  if (endpointIds.length === 0) return [];
  const rows = await db
    .selectFrom('events')
    .select(sql<string>`data->>'upstreamEndpointId'`.as('upstream'))
    .distinct()
    .where('tenant_id', '=', tenantId)
    .where('type', '=', 'DependencyDeclared')
    .where(
      'stream_id',
      'in',
      endpointIds.map((id) => endpointStream(tenantId, id)),
    )
    .where('recorded_at', '<', cut)
    .execute();
  return rows.map((row) => row.upstream);
}

const groupBy = (events: readonly RecordedEvent[], key: (e: RecordedEvent) => string | null) => {
  const out = new Map<string, RecordedEvent[]>();
  for (const event of events) {
    const k = key(event);
    if (k === null) continue;
    const list = out.get(k);
    if (list) list.push(event);
    else out.set(k, [event]);
  }
  return out;
};

/**
 * The history a what-if re-runs: the simulated endpoints' streams and their jobs' up to `cut`
 * (a little after the window, so that runs due in it but dispatched late are compared); the
 * responses in the window (and the minute before it) of their upstreams outside the scope (of
 * the edges declared on them, and of those the what-if adds); and when the log reached the
 * positions their proposals were based on. Refused (422) beyond `maxEvents` events.
 */
export async function readWhatIfHistory(
  db: EventsDb,
  tenantId: string,
  scope: Scope,
  window: { from: Date; to: Date; cut: Date },
  options: { readonly addedUpstreams: readonly string[]; readonly maxEvents: number },
): Promise<WhatIfHistory> {
  const endpointIds = scope.endpoints.map((e) => e.endpointId);
  const jobIds = [...new Set(scope.endpoints.map((e) => e.jobId))];
  const streams = [
    ...endpointIds.map((id) => endpointStream(tenantId, id)),
    ...jobIds.map((id) => jobStream(tenantId, id)),
  ];
  const simulated = new Set(endpointIds);
  const upstreamIds = new Set(options.addedUpstreams);
  for (const row of await declaredUpstreams(db, tenantId, endpointIds, window.cut)) {
    upstreamIds.add(row);
  }
  const outside = [...upstreamIds].filter((id) => !simulated.has(id)).sort();
  const since = new Date(window.from.getTime() - LOOKBACK_MS);
  const count =
    (await countEvents(db, tenantId, streams, { cut: window.cut })) +
    (await countEvents(
      db,
      tenantId,
      outside.map((id) => endpointStream(tenantId, id)),
      { cut: window.to, since, types: ['ResponseRecorded'] },
    ));
  if (count > options.maxEvents) {
    throw new ProblemError(
      'unprocessable',
      `the simulated endpoints and their jobs hold ${count} events up to the end of the ` +
        `window; a what-if reads at most ${options.maxEvents}: simulate fewer endpoints`,
      [{ field: 'body.endpoints', message: 'too much history' }],
    );
  }
  const events = await readStreams(db, tenantId, streams, { cut: window.cut });
  const endpoints = groupBy(events, (e) => parseEndpointStream(e.streamId)?.id ?? null);
  const jobs = new Map(
    jobIds.map((id) => [id, events.filter((e) => e.streamId === jobStream(tenantId, id))]),
  );
  const responses = await readStreams(
    db,
    tenantId,
    outside.map((id) => endpointStream(tenantId, id)),
    { cut: window.to, since, types: ['ResponseRecorded'] },
  );
  const upstreams = groupBy(responses, (e) => parseEndpointStream(e.streamId)?.id ?? null);
  for (const id of outside) if (!upstreams.has(id)) upstreams.set(id, []);
  return {
    endpoints: new Map(endpointIds.map((id) => [id, endpoints.get(id) ?? []])),
    jobs,
    upstreams,
    logTimes: await logTimes(db, tenantId, basedOn(events, window.from)),
  };
}

/** The positions the proposals recorded since `from` were based on. */
const basedOn = (events: readonly RecordedEvent[], from: Date): number[] => {
  const positions = new Set<number>();
  for (const event of events) {
    if (event.type !== 'HintProposed' && event.type !== 'HintRejected') continue;
    const { basedOnPosition } = event.data;
    if (basedOnPosition !== undefined && Date.parse(event.recordedAt) >= from.getTime()) {
      positions.add(basedOnPosition);
    }
  }
  return [...positions].sort((a, b) => a - b);
};

/** When the tenant's log reached each of these positions (a planner's view is the tenant's). */
async function logTimes(db: EventsDb, tenantId: string, positions: readonly number[]) {
  const out: { position: number; recordedAt: string }[] = [];
  for (let i = 0; i < positions.length; i += 1000) {
    const rows = await db
      .selectFrom('events')
      .select(['position', 'recorded_at'])
      .where('tenant_id', '=', tenantId)
      .where('position', 'in', positions.slice(i, i + 1000))
      .execute();
    out.push(
      ...rows.map((r) => ({ position: r.position, recordedAt: r.recorded_at.toISOString() })),
    );
  }
  return out;
}
