/**
 * Bench settings, from the environment. Every value is clamped to a sane
 * range so a typo cannot start an unbounded run.
 */
import { parseArgs } from 'node:util';

export type Phase =
  | 'baseline'
  | 'throughput'
  | 'lateness'
  | 'commands'
  | 'cascades'
  | 'pipeline'
  | 'replay'
  | 'tracing'
  | 'api'
  | 'distributed'
  | 'soak'
  | 'scale'
  | 'log';
const PHASES: readonly Phase[] = [
  'baseline',
  'throughput',
  'lateness',
  'commands',
  'cascades',
  'pipeline',
  'replay',
  'tracing',
  'api',
  'distributed',
  'soak',
  'scale',
  'log',
];
/**
 * Phases run when none are named: all but `replay` (minutes of generating), `tracing`
 * (nine pipeline rounds, over two minutes), `soak` (five minutes), `scale` (registering
 * 100 000 endpoints) and `log` (a log grown to 10 000 000 events, ~10 GB); ask for them.
 */
const OPT_IN: readonly Phase[] = ['replay', 'tracing', 'soak', 'scale', 'log'];
const DEFAULT_PHASES = PHASES.filter((p) => !OPT_IN.includes(p));
/** Phases that run Orrery's runtime or the baseline, and so need Redis. */
export const REDIS_PHASES: readonly Phase[] = [
  'baseline',
  'throughput',
  'lateness',
  'cascades',
  'tracing',
  'distributed',
  'soak',
  'scale',
];

export interface BenchConfig {
  /** Measured window of each phase, seconds (BENCH_SECONDS, default 10). */
  readonly seconds: number;
  /** Warm-up before each window, seconds (BENCH_WARMUP_SECONDS, default 3). */
  readonly warmupSeconds: number;
  /** Endpoints of the throughput phase (BENCH_ENDPOINTS, default 2000). */
  readonly endpoints: number;
  /** Their interval, ms (BENCH_EVERY_MS, default 100: the smallest the domain allows). */
  readonly everyMs: number;
  /** Offered load of the lateness phase, runs/s (BENCH_RATE, default 500). */
  readonly rate: number;
  /** Interval of the lateness phase's endpoints, ms (BENCH_LATENESS_EVERY_MS, default 1000). */
  readonly latenessEveryMs: number;
  /** Worker concurrency, for the baseline and Orrery's executor alike (BENCH_CONCURRENCY, default 32). */
  readonly concurrency: number;
  /** Baseline runs: 2 = before and after Orrery's max phase, compared with their mean (BENCH_BASELINE_RUNS, 1..2). */
  readonly baselineRuns: number;
  /** Dispatcher claim batch (BENCH_BATCH_SIZE, default 200, Orrery's default). */
  readonly batchSize: number;
  /** Dispatch ahead, ms (BENCH_DISPATCH_AHEAD_MS, default 500, the services' default; 0: off). */
  readonly dispatchAheadMs: number;
  /** Phases to run, comma-separated (BENCH_PHASES, default all of them but `replay`). */
  readonly phases: ReadonlySet<Phase>;
  /** Events in the long stream of the commands phase (BENCH_LONG_STREAM, default 1 000 000). */
  readonly longStream: number;
  /** Commands and explains timed per stream in the commands phase (BENCH_COMMANDS, default 200). */
  readonly commands: number;
  /** Four-stage chains of the cascades phase: heads on an interval (BENCH_CHAINS, default 200). */
  readonly chains: number;
  /** Chains started per second in the cascades phase (BENCH_CHAIN_RATE, default 200). */
  readonly chainRate: number;
  /** Endpoints of the pipeline phase's document (BENCH_PIPELINE_ENDPOINTS, default 10 000). */
  readonly pipelineEndpoints: number;
  /** Endpoints the pipeline phase registers one by one, to extrapolate (BENCH_PIPELINE_SAMPLE, 300). */
  readonly pipelineSample: number;
  /** Events generated and replayed by the replay phase (BENCH_REPLAY_EVENTS, default 1 000 000). */
  readonly replayEvents: number;
  /** Events per batch of the replay and its read baselines (BENCH_REPLAY_BATCH, default 2000). */
  readonly replayBatch: number;
  /** Rounds of each mode in the tracing phase (BENCH_TRACING_ROUNDS, default 3). */
  readonly tracingRounds: number;
  /** Measured window of each tracing round, seconds (BENCH_TRACING_SECONDS, default 6). */
  readonly tracingSeconds: number;
  /** Endpoints every BENCH_EVERY_MS in each tracing round (BENCH_TRACING_ENDPOINTS, default 1000). */
  readonly tracingEndpoints: number;
  /** Jobs the API phase creates; GET /v1/jobs reads its first page of 50 (BENCH_API_JOBS, 100). */
  readonly apiJobs: number;
  /** Endpoints the API phase registers in its first job (BENCH_API_ENDPOINTS, 50). */
  readonly apiEndpoints: number;
  /** Connections autocannon keeps open in the API phase (BENCH_API_CONNECTIONS, 10). */
  readonly apiConnections: number;
  /** Each saturated and each fixed-rate window of the API phase, seconds (BENCH_API_SECONDS, 5). */
  readonly apiSeconds: number;
  /** Offered rate of the API phase's fixed-rate windows, req/s (BENCH_API_RATE, 1000). */
  readonly apiRate: number;
  /** Executor processes of each run of the distributed phase (BENCH_DISTRIBUTED_EXECUTORS, default 1,2,3). */
  readonly distributedExecutors: readonly number[];
  /**
   * Warm-up of the distributed phase's lateness window, s (BENCH_DISTRIBUTED_WARMUP_SECONDS,
   * default 10): its services were just spawned, and their first seconds are a start, not the
   * steady load the window measures (the per-second line shows them).
   */
  readonly distributedWarmupSeconds: number;
  /**
   * Warm-up of the lateness phase's window after its first slot, s (BENCH_LATENESS_WARMUP_SECONDS,
   * default 10): the runtime was just started, and a cold process takes seconds to reach its steady
   * pace (README, Lateness); the per-second line shows that start, the window the steady load.
   */
  readonly latenessWarmupSeconds: number;
  /** Length of the memory soak, seconds (BENCH_SOAK_SECONDS, default 300). */
  readonly soakSeconds: number;
  /** Its RSS sampling interval, seconds (BENCH_SOAK_SAMPLE_SECONDS, default 10). */
  readonly soakSampleSeconds: number;
  /** Executor processes of the soak's topology (BENCH_SOAK_EXECUTORS, default 1). */
  readonly soakExecutors: number;
  /**
   * Heap snapshots of each soak process after the first minute and at the end, kept in the
   * directory the soak prints (BENCH_SOAK_HEAP_SNAPSHOTS, default 0; each pauses its process).
   */
  readonly soakHeapSnapshots: boolean;
  /** Registered endpoints of each run of the scale phase (BENCH_SCALE_ENDPOINTS, default 10000,100000). */
  readonly scaleEndpoints: readonly number[];
  /** Sizes the log phase grows one log to, events, ascending (BENCH_LOG_EVENTS, default 1e6,3e6,1e7). */
  readonly logEvents: readonly number[];
  /**
   * Sample a CPU profile of the main thread in each phase, and of each service process in the
   * distributed phase (BENCH_PROFILE, default 0).
   */
  readonly profile: boolean;
  /** Where the loopback target runs: its own thread (default) or this event loop (BENCH_TARGET=inline). */
  readonly target: 'thread' | 'inline';
  readonly databaseUrl: string | undefined;
  readonly redisUrl: string;
  /**
   * The queue of the in-process Orrery phases (max throughput, lateness, cascades, tracing):
   * BullMQ on `redisUrl` (default, as `npm start` with REDIS_URL set runs it, and the baseline's
   * transport) or the in-process queue, as `npm start` runs without Redis (BENCH_QUEUE).
   */
  readonly queue: 'bullmq' | 'in-process';
  /** Upper bound on jobs the baseline producer adds (a safety net, not a knob). */
  readonly maxBaselineJobs: number;
}

function num(name: string, fallback: number, min: number, max: number): number {
  const raw = process.env[name];
  if (raw === undefined || raw.trim() === '') return fallback;
  const value = Number(raw);
  if (!Number.isFinite(value)) throw new Error(`${name}=${raw} is not a number`);
  return Math.min(Math.max(value, min), max);
}

function queueKind(): BenchConfig['queue'] {
  const raw = process.env['BENCH_QUEUE']?.trim() || 'bullmq';
  if (raw === 'bullmq' || raw === 'in-process') return raw;
  throw new Error(`BENCH_QUEUE must be "bullmq" or "in-process", not ${JSON.stringify(raw)}`);
}

function flag(name: string, fallback: boolean): boolean {
  const raw = process.env[name]?.trim().toLowerCase();
  if (raw === undefined || raw === '') return fallback;
  return !['0', 'false', 'no', 'off'].includes(raw);
}

/** A comma-separated list of counts, each 1..max (e.g. `1,2,3`). */
function counts(name: string, fallback: readonly number[], max: number): readonly number[] {
  const raw = process.env[name]?.trim();
  if (raw === undefined || raw === '') return fallback;
  return raw.split(',').map((part) => {
    const value = Number(part.trim());
    if (!Number.isInteger(value) || value < 1 || value > max) {
      throw new Error(`${name}=${raw}: each count must be an integer from 1 to ${max}`);
    }
    return value;
  });
}

/** `--only <phase>[,<phase>]` on the command line (`npm run bench -- --only pipeline`). */
function onlyArgument(): string | undefined {
  const { values } = parseArgs({
    args: process.argv.slice(2),
    options: { only: { type: 'string' } },
    strict: false,
    allowPositionals: true,
  });
  return typeof values.only === 'string' ? values.only : undefined;
}

function phases(): ReadonlySet<Phase> {
  const raw = (onlyArgument() ?? process.env['BENCH_PHASES'])?.trim();
  if (!raw) return new Set(DEFAULT_PHASES);
  const picked = raw.split(',').map((p) => p.trim());
  for (const p of picked) {
    if (!PHASES.includes(p as Phase)) {
      throw new Error(`--only / BENCH_PHASES: unknown phase "${p}" (known: ${PHASES.join(', ')})`);
    }
  }
  return new Set(picked as Phase[]);
}

export function readConfig(): BenchConfig {
  return {
    seconds: num('BENCH_SECONDS', 10, 2, 120),
    warmupSeconds: num('BENCH_WARMUP_SECONDS', 3, 0, 30),
    endpoints: Math.round(num('BENCH_ENDPOINTS', 2000, 10, 20_000)),
    everyMs: Math.round(num('BENCH_EVERY_MS', 100, 100, 60_000)),
    rate: num('BENCH_RATE', 500, 1, 5000),
    latenessEveryMs: Math.round(num('BENCH_LATENESS_EVERY_MS', 1000, 100, 60_000)),
    concurrency: Math.round(num('BENCH_CONCURRENCY', 32, 1, 512)),
    batchSize: Math.round(num('BENCH_BATCH_SIZE', 200, 1, 5000)),
    dispatchAheadMs: Math.round(num('BENCH_DISPATCH_AHEAD_MS', 500, 0, 1000)),
    baselineRuns: Math.round(num('BENCH_BASELINE_RUNS', 2, 1, 2)),
    phases: phases(),
    longStream: Math.round(num('BENCH_LONG_STREAM', 1_000_000, 1_000, 5_000_000)),
    commands: Math.round(num('BENCH_COMMANDS', 200, 10, 10_000)),
    chains: Math.round(num('BENCH_CHAINS', 200, 1, 5_000)),
    chainRate: num('BENCH_CHAIN_RATE', 200, 1, 2_000),
    pipelineEndpoints: Math.round(num('BENCH_PIPELINE_ENDPOINTS', 10_000, 10, 20_000)),
    pipelineSample: Math.round(num('BENCH_PIPELINE_SAMPLE', 300, 10, 5_000)),
    replayEvents: Math.round(num('BENCH_REPLAY_EVENTS', 1_000_000, 10_000, 20_000_000)),
    replayBatch: Math.round(num('BENCH_REPLAY_BATCH', 2000, 100, 100_000)),
    tracingRounds: Math.round(num('BENCH_TRACING_ROUNDS', 3, 1, 10)),
    tracingSeconds: num('BENCH_TRACING_SECONDS', 6, 2, 60),
    tracingEndpoints: Math.round(num('BENCH_TRACING_ENDPOINTS', 1000, 10, 20_000)),
    apiJobs: Math.round(num('BENCH_API_JOBS', 100, 1, 10_000)),
    apiEndpoints: Math.round(num('BENCH_API_ENDPOINTS', 50, 2, 10_000)),
    apiConnections: Math.round(num('BENCH_API_CONNECTIONS', 10, 1, 1_000)),
    apiSeconds: num('BENCH_API_SECONDS', 5, 1, 120),
    apiRate: num('BENCH_API_RATE', 1000, 1, 100_000),
    distributedExecutors: counts('BENCH_DISTRIBUTED_EXECUTORS', [1, 2, 3], 8),
    distributedWarmupSeconds: num('BENCH_DISTRIBUTED_WARMUP_SECONDS', 10, 0, 60),
    latenessWarmupSeconds: num('BENCH_LATENESS_WARMUP_SECONDS', 10, 0, 60),
    soakSeconds: num('BENCH_SOAK_SECONDS', 300, 30, 3_600),
    soakSampleSeconds: num('BENCH_SOAK_SAMPLE_SECONDS', 10, 1, 60),
    soakExecutors: Math.round(num('BENCH_SOAK_EXECUTORS', 1, 1, 8)),
    soakHeapSnapshots: flag('BENCH_SOAK_HEAP_SNAPSHOTS', false),
    scaleEndpoints: counts('BENCH_SCALE_ENDPOINTS', [10_000, 100_000], 1_000_000),
    logEvents: counts('BENCH_LOG_EVENTS', [1_000_000, 3_000_000, 10_000_000], 50_000_000),
    profile: flag('BENCH_PROFILE', false),
    target: process.env['BENCH_TARGET'] === 'inline' ? 'inline' : 'thread',
    databaseUrl: process.env['DATABASE_URL'] || undefined,
    redisUrl: process.env['REDIS_URL'] || 'redis://127.0.0.1:6379',
    queue: queueKind(),
    maxBaselineJobs: 2_000_000,
  };
}
