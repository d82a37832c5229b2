/**
 * The shape of a generated log: tenants, their jobs, the jobs' endpoints (interval and cron
 * schedules, a few trigger-only downstreams and gated ones) and the edges between them. Drawn
 * once from the seed; the history (simulation.ts) then plays out on it.
 */
import {
  edgeOf,
  endpointStream,
  jobStream,
  toIso,
  type EdgeDefinition,
  type EndpointConfigInput,
  type Millis,
} from '@orrery/domain';
import { Random } from './random.js';

export interface GeneratorOptions {
  /** Events to write (at least; the last decision may add a few). */
  readonly events: number;
  readonly seed: number;
  readonly tenants: number;
  readonly endpoints: number;
  /** Endpoints per job. */
  readonly jobSize: number;
  /** When the history begins (its events' times start here). */
  readonly start: Millis;
}

export const DEFAULT_GENERATOR: Omit<GeneratorOptions, 'events'> = {
  seed: 1,
  tenants: 10,
  endpoints: 10_000,
  jobSize: 10,
  start: Date.parse('2026-01-05T08:00:00.000Z'),
};

export interface EndpointSpec {
  readonly index: number;
  readonly tenantId: string;
  readonly jobId: string;
  readonly endpointId: string;
  readonly streamId: string;
  readonly jobStreamId: string;
  readonly config: EndpointConfigInput;
  /** Its first run: the history's start plus up to one interval, so the slots spread out. */
  readonly firstRunAt: Millis;
  /** How often it runs on its own (ms, about), null when only cascades run it. */
  readonly everyMs: number | null;
}

export interface EdgeSpec {
  readonly upstream: number;
  readonly downstream: number;
  readonly edge: EdgeDefinition;
}

export interface JobSpec {
  readonly tenantId: string;
  readonly jobId: string;
  readonly streamId: string;
  readonly name: string;
}

export interface World {
  readonly tenants: readonly string[];
  readonly jobs: readonly JobSpec[];
  readonly endpoints: readonly EndpointSpec[];
  readonly edges: readonly EdgeSpec[];
  /** Edges by upstream endpoint index. */
  readonly outgoing: ReadonlyMap<number, readonly EdgeSpec[]>;
  /** Own runs per second over all endpoints (for spreading rare events over the history). */
  readonly runsPerSecond: number;
}

const INTERVALS = [15_000, 30_000, 60_000, 60_000, 120_000, 300_000];
const CRONS: readonly [string, number][] = [
  ['* * * * *', 60_000],
  ['*/2 * * * *', 120_000],
  ['*/5 * * * *', 300_000],
];

function configOf(
  rng: Random,
  tenantId: string,
  jobId: string,
  endpointId: string,
  kind: 'own' | 'trigger' | 'gated',
): { config: EndpointConfigInput; everyMs: number | null } {
  const post = rng.chance(0.3);
  const headers: Record<string, { value: string }> = rng.chance(0.5)
    ? { 'x-orrery-job': { value: jobId } }
    : {};
  const request = {
    method: post ? ('POST' as const) : ('GET' as const),
    url: `https://${tenantId}.example.com/api/${jobId}/${endpointId}`,
    headers,
    ...(post ? { body: JSON.stringify({ job: jobId, endpoint: endpointId }) } : {}),
  };
  const name = `${jobId} ${endpointId}`;
  if (kind === 'trigger') {
    return { config: { name, request, baseline: { kind: 'none' } }, everyMs: null };
  }
  if (kind === 'own' && rng.chance(0.2)) {
    const [expression, everyMs] = rng.pick(CRONS);
    return { config: { name, request, baseline: { kind: 'cron', expression } }, everyMs };
  }
  const everyMs = rng.pick(INTERVALS);
  return {
    config: {
      name,
      request,
      baseline: { kind: 'interval', everyMs },
      ...(rng.chance(0.2) ? { jitterMs: 1_000 } : {}),
      ...(rng.chance(0.1) ? { minIntervalMs: everyMs / 2, maxIntervalMs: everyMs * 20 } : {}),
    },
    everyMs,
  };
}

/**
 * Jobs of `jobSize` endpoints, dealt round-robin to the tenants. In a job, the last endpoint is
 * in half the jobs trigger-only, run by a cascade from the one before it; the one before that
 * is in a fifth of the jobs gated by the job's first endpoint (a closed gate skips its slot).
 */
export function buildWorld(options: GeneratorOptions): World {
  const rng = new Random(options.seed);
  const tenants = Array.from({ length: Math.max(1, options.tenants) }, (_, i) => `t${i}`);
  const jobs: JobSpec[] = [];
  const endpoints: EndpointSpec[] = [];
  const edges: EdgeSpec[] = [];
  const size = Math.max(3, options.jobSize);
  for (let j = 0; endpoints.length < options.endpoints; j += 1) {
    const tenantId = tenants[j % tenants.length] ?? 't0';
    const jobId = `job-${j}`;
    jobs.push({ tenantId, jobId, streamId: jobStream(tenantId, jobId), name: `Job ${j}` });
    const first = endpoints.length;
    const count = Math.min(size, options.endpoints - first);
    const trigger = count >= 3 && rng.chance(0.5);
    const gated = count >= 4 && rng.chance(0.2);
    for (let p = 0; p < count; p += 1) {
      const kind =
        trigger && p === count - 1 ? 'trigger' : gated && p === count - 2 ? 'gated' : 'own';
      const endpointId = `e${first + p}`;
      const { config, everyMs } = configOf(rng, tenantId, jobId, endpointId, kind);
      const firstRunAt = options.start + rng.int(0, everyMs ?? 60_000);
      const interval = typeof config.baseline === 'object' && config.baseline.kind === 'interval';
      endpoints.push({
        index: first + p,
        tenantId,
        jobId,
        endpointId,
        streamId: endpointStream(tenantId, endpointId),
        jobStreamId: jobStream(tenantId, jobId),
        // Cron endpoints start on their next occurrence; interval ones at their first run.
        config: interval ? { ...config, start: { kind: 'at', at: toIso(firstRunAt) } } : config,
        firstRunAt,
        everyMs,
      });
      const upstream = kind === 'trigger' ? first + p - 1 : kind === 'gated' ? first : null;
      if (upstream !== null) {
        const up = endpoints[upstream];
        if (!up) throw new Error(`no endpoint ${upstream}`);
        const edge = edgeOf(
          endpointId,
          kind === 'trigger'
            ? { upstream: up.endpointId }
            : {
                upstream: up.endpointId,
                mode: 'gate',
                freshness: { kind: 'duration', ms: 15 * 60_000 },
                onUpstreamFailure: { afterFailures: 3 },
              },
        );
        edges.push({ upstream, downstream: first + p, edge });
      }
    }
  }
  const outgoing = new Map<number, EdgeSpec[]>();
  for (const e of edges) outgoing.set(e.upstream, [...(outgoing.get(e.upstream) ?? []), e]);
  const runsPerSecond = endpoints.reduce((n, e) => n + (e.everyMs ? 1000 / e.everyMs : 0), 0);
  return { tenants, jobs, endpoints, edges, outgoing, runsPerSecond };
}
