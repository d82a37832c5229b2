import { makeEvent, toIso, type AppendRequest } from '@orrery/domain';
import { FLEET_TENANT, streamOf } from './fleet-ids.js';

export type FleetBaseline =
  | { readonly kind: 'interval'; readonly everyMs: number }
  | { readonly kind: 'cron'; readonly expression: string };

/** One endpoint of the fleet and how the target treats it. */
export interface FleetEndpoint {
  readonly id: string;
  readonly baseline: FleetBaseline;
  /** Distance between consecutive slots (a cron every second: 1000). */
  readonly stepMs: number;
  /** The target answers after `SLOW_MS`, so calls are in flight at any moment. */
  readonly slow: boolean;
  /** The target answers 500. */
  readonly failing: boolean;
}

export const SLOW_MS = 200;

const INTERVALS = [500, 1_000, 2_000, 3_000] as const;

/**
 * `count` endpoints: every 20th a cron every second, the others on intervals
 * of 0.5, 1, 2 and 3 s in turn (300 endpoints ask for about 300 runs/s); a
 * third answer slowly, a tenth (never a cron) fail.
 */
export function planFleet(count: number): FleetEndpoint[] {
  return Array.from({ length: count }, (_, i) => {
    const cron = i % 20 === 19;
    const everyMs = INTERVALS[i % INTERVALS.length] ?? 1_000;
    return {
      id: `ep${i.toString().padStart(4, '0')}`,
      baseline: cron ? { kind: 'cron', expression: '* * * * * *' } : { kind: 'interval', everyMs },
      stepMs: cron ? 1_000 : everyMs,
      slow: i % 3 === 0,
      failing: !cron && i % 10 === 7,
    };
  });
}

/** `EndpointRegistered` for each endpoint, as one `appendMany` batch (new streams). */
export function registrations(
  fleet: readonly FleetEndpoint[],
  targetUrl: string,
  registeredAt: number,
): AppendRequest[] {
  const metadata = { tenantId: FLEET_TENANT, actor: { kind: 'user' as const, id: 'e2e' } };
  return fleet.map((endpoint) => ({
    streamId: streamOf(endpoint.id),
    expectedVersion: 0,
    events: [
      makeEvent(
        'EndpointRegistered',
        {
          endpointId: endpoint.id,
          jobId: `job-${endpoint.stepMs}`,
          tenantId: FLEET_TENANT,
          config: {
            name: endpoint.id,
            request: { url: `${targetUrl}/${endpoint.id}` },
            baseline: endpoint.baseline,
            timeoutMs: 1_000,
            // No backoff growth: a failing endpoint keeps its cadence, as busy
            // as a healthy one (the slot replay would follow a backoff too).
            backoff: { factor: 1 },
          },
          registeredAt: toIso(registeredAt),
        },
        metadata,
      ),
    ],
  }));
}

/**
 * The fleet as a pipeline document for `PUT /v1/pipelines/{name}`: the same jobs and endpoint
 * configs as {@link registrations}, registered through the API in one atomic append.
 */
export function fleetPipeline(fleet: readonly FleetEndpoint[], targetUrl: string) {
  const jobs = new Map<string, FleetEndpoint[]>();
  for (const endpoint of fleet) {
    const jobId = `job-${endpoint.stepMs}`;
    jobs.set(jobId, [...(jobs.get(jobId) ?? []), endpoint]);
  }
  return {
    jobs: [...jobs].map(([id, endpoints]) => ({
      id,
      endpoints: endpoints.map((endpoint) => ({
        id: endpoint.id,
        name: endpoint.id,
        request: { url: `${targetUrl}/${endpoint.id}` },
        baseline: endpoint.baseline,
        timeoutMs: 1_000,
        backoff: { factor: 1 },
      })),
    })),
  };
}
