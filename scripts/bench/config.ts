/**
 * Bench settings, from the environment. Every value is clamped to a sane
 * range so a typo cannot start an unbounded run.
 */

export type Phase = 'baseline' | 'throughput' | 'lateness';
export type Experiment = 'group-commit';
const EXPERIMENTS: readonly Experiment[] = ['group-commit'];
const PHASES: readonly Phase[] = ['baseline', 'throughput', 'lateness'];

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
  /** Phases to run, comma-separated (BENCH_PHASES, default all three). */
  readonly phases: ReadonlySet<Phase>;
  /** Time every SQL statement by kind (BENCH_TRACE_SQL, default 1). */
  readonly traceSql: boolean;
  /** Sample a CPU profile of the main thread in each phase (BENCH_PROFILE, default 0). */
  readonly profile: boolean;
  /** Where the loopback target runs: its own thread (default) or this event loop (BENCH_TARGET=inline). */
  readonly target: 'thread' | 'inline';
  /**
   * Bench-side simulations of suggested lib fixes, off by default (BENCH_EXPERIMENT, comma list):
   * `group-commit` makes the runtime store's appendEach single-flight, merging the calls that
   * arrive while one is in flight into the next transaction. Results then are NOT Orrery as shipped.
   */
  readonly experiments: ReadonlySet<Experiment>;
  readonly databaseUrl: string | undefined;
  readonly redisUrl: string;
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

function flag(name: string, fallback: boolean): boolean {
  const raw = process.env[name]?.trim().toLowerCase();
  if (raw === undefined || raw === '') return fallback;
  return !['0', 'false', 'no', 'off'].includes(raw);
}

function phases(): ReadonlySet<Phase> {
  const raw = process.env['BENCH_PHASES']?.trim();
  if (!raw) return new Set(PHASES);
  const picked = raw.split(',').map((p) => p.trim());
  for (const p of picked) {
    if (!PHASES.includes(p as Phase)) {
      throw new Error(`BENCH_PHASES: unknown phase "${p}" (known: ${PHASES.join(', ')})`);
    }
  }
  return new Set(picked as Phase[]);
}

function experiments(): ReadonlySet<Experiment> {
  const raw = process.env['BENCH_EXPERIMENT']?.trim();
  if (!raw) return new Set();
  const picked = raw.split(',').map((p) => p.trim());
  for (const p of picked) {
    if (!EXPERIMENTS.includes(p as Experiment)) {
      throw new Error(`BENCH_EXPERIMENT: unknown "${p}" (known: ${EXPERIMENTS.join(', ')})`);
    }
  }
  return new Set(picked as Experiment[]);
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
    baselineRuns: Math.round(num('BENCH_BASELINE_RUNS', 2, 1, 2)),
    phases: phases(),
    traceSql: flag('BENCH_TRACE_SQL', true),
    profile: flag('BENCH_PROFILE', false),
    target: process.env['BENCH_TARGET'] === 'inline' ? 'inline' : 'thread',
    experiments: experiments(),
    databaseUrl: process.env['DATABASE_URL'] || undefined,
    redisUrl: process.env['REDIS_URL'] || 'redis://127.0.0.1:6379',
    maxBaselineJobs: 2_000_000,
  };
}
