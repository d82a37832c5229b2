/**
 * The reads users depend on, each through the real function that serves it: the event store's
 * (a stream, the tail, the projection's catch-up batch, the head) and the API's GET /v1/events
 * (`eventFilter` then `readEventPage`, as the route calls them). Each picks its stream, job,
 * tenant or cursor at random among what the log holds, so samples are not one cached row.
 */
import { endpointStream, type EventType } from '@orrery/domain';
import type { EventStoreSchema, PostgresEventStore } from '@orrery/event-store';
import { DEFAULT_EVENT_PAGE_BYTES, eventFilter, readEventPage } from '@orrery/api';
import type { Kysely } from 'kysely';
import { Random } from '../replay/random.js';
import { inCohort } from './grow.js';

/** The seed's endpoints and jobs (cohort 0), from which a read picks one in some cohort. */
export interface SeedWorld {
  readonly endpoints: readonly { readonly tenantId: string; readonly endpointId: string }[];
  readonly jobs: readonly { readonly tenantId: string; readonly jobId: string }[];
  readonly tenants: readonly string[];
  /** A type every cohort holds a few of, for the filtered page (GET /v1/events?type=). */
  readonly rareType: EventType;
}

/** What a read may depend on: the log's head, the cohorts written whole, its last event time. */
export interface LogNow {
  readonly head: number;
  readonly cohorts: number;
  readonly lastRecordedAt: number;
}

export interface LogRead {
  readonly name: string;
  readonly run: (now: LogNow) => Promise<unknown>;
}

/** GET /v1/events' default page: 100 events, 1 MiB. */
const PAGE = { limit: 100, maxBytes: DEFAULT_EVENT_PAGE_BYTES } as const;
/** ProcessorHost's default batch. */
const CATCH_UP_BATCH = 500;
const TAIL = 1_000;
const HOUR_MS = 3_600_000;

export function logReads(
  store: PostgresEventStore,
  db: Kysely<EventStoreSchema>,
  world: SeedWorld,
  seed: number,
): readonly LogRead[] {
  const rng = new Random(seed);
  const cohort = (now: LogNow) => rng.int(0, now.cohorts);
  const endpoint = (now: LogNow) => {
    const { tenantId, endpointId } = rng.pick(world.endpoints);
    return { tenantId, endpointId: inCohort(endpointId, cohort(now)) };
  };
  const cursor = (now: LogNow) => rng.int(0, Math.max(1, now.head - PAGE.limit));
  const page = async (tenantId: string, query: Parameters<typeof eventFilter>[2], after?: number) =>
    readEventPage(db, await eventFilter(db, tenantId, query), { ...PAGE, after });
  return [
    { name: 'head position', run: () => store.headPosition() },
    {
      name: `tail: last ${TAIL.toLocaleString('en')}`,
      run: (now) => store.readAll({ after: Math.max(0, now.head - TAIL), limit: TAIL }),
    },
    {
      name: `catch-up: ${CATCH_UP_BATCH} after a position`,
      run: (now) =>
        store.readAll({ after: rng.int(0, Math.max(1, now.head - 1)), limit: CATCH_UP_BATCH }),
    },
    {
      name: "an endpoint's stream (readStream)",
      run: (now) => {
        const e = endpoint(now);
        return store.readStream(endpointStream(e.tenantId, e.endpointId));
      },
    },
    {
      name: 'GET /v1/events (tenant), page after a cursor',
      run: (now) => page(rng.pick(world.tenants), {}, cursor(now)),
    },
    {
      name: 'GET /v1/events?endpointId=, first page',
      run: (now) => {
        const e = endpoint(now);
        return page(e.tenantId, { endpointId: e.endpointId });
      },
    },
    {
      name: 'GET /v1/events?jobId=, first page',
      run: (now) => {
        const { tenantId, jobId } = rng.pick(world.jobs);
        return page(tenantId, { jobId: inCohort(jobId, cohort(now)) });
      },
    },
    {
      name: 'GET /v1/events?type=ResponseRecorded, page after a cursor',
      run: (now) => page(rng.pick(world.tenants), { type: ['ResponseRecorded'] }, cursor(now)),
    },
    {
      name: `GET /v1/events?type=${world.rareType}, page after a cursor`,
      run: (now) => page(rng.pick(world.tenants), { type: [world.rareType] }, cursor(now)),
    },
    {
      name: 'GET /v1/events?from=<an hour ago>, first page',
      run: (now) =>
        page(rng.pick(world.tenants), {
          from: new Date(now.lastRecordedAt - HOUR_MS).toISOString(),
        }),
    },
  ];
}
