/** The tracing phase's results: per round, per mode, the ratios to tracing off, and the verdict. */
import { MODE_LABELS, TRACING_MODES, type TracingMode } from './modes.js';
import type { NoopSpanCost } from './noop-cost.js';

export interface TracingRound {
  readonly mode: TracingMode;
  /** Which pass over the modes (0-based); each pass runs every mode once, in a rotated order. */
  readonly cycle: number;
  readonly windowSeconds: number;
  /** 1-minute load average when the round started. */
  readonly loadAverage: number;
  readonly recorded: number;
  readonly runsPerSecond: number;
  /** Slot → HTTP call starts (orrery.run.lateness), ms: in a saturated pipeline, its cycle time. */
  readonly startLatenessP50Ms: number;
  readonly startLatenessP99Ms: number;
  readonly failedCalls: number;
  /** This process's CPU (all threads, target included) per recorded run, ms. */
  readonly nodeCpuMsPerRun: number | null;
  readonly nodeProcessPct: number | null;
  readonly mainLoopUtilisation: number | null;
  readonly postgresPct: number | null;
  readonly machineBusyPct: number | null;
  /** Spans the sink received that ended in the window (0 unless the mode exports). */
  readonly spans: {
    readonly total: number;
    readonly perRun: number;
    readonly byName: Record<string, number>;
    /**
     * orrery.run.record spans (they end as ResponseRecorded is appended) per recorded run in the
     * window: about 1 when the exporter dropped nothing (the window's edges move it a little).
     */
    readonly recordSpansPerRun: number;
    readonly exportRequests: number;
    readonly unreadableRequests: number;
  };
}

export interface Spread {
  readonly mean: number;
  readonly min: number;
  readonly max: number;
  /** (max − min) / mean, %. */
  readonly spreadPct: number;
}

export interface ModeSummary {
  readonly label: string;
  /** The OTEL_* variables the mode ran with (none: tracing off). */
  readonly env: Readonly<Record<string, string>>;
  readonly rounds: number;
  readonly runsPerSecond: Spread;
  readonly startLatenessP50Ms: Spread;
  readonly startLatenessP99Ms: Spread;
  readonly nodeCpuMsPerRun: Spread | null;
  readonly spansPerRun: number;
  readonly spansPerRunByName: Record<string, number>;
  readonly recordSpansPerRun: number;
}

export interface RatioToOff {
  /** Mean of the mode over mean of tracing off. */
  readonly runsPerSecond: number;
  /** The same, pass by pass (each pass runs both modes within seconds of each other). */
  readonly runsPerSecondByCycle: readonly number[];
  /** Their median: a load burst that hits one round moves it less than the mean. */
  readonly runsPerSecondMedianOfCycles: number | null;
  readonly startLatenessP50: number;
  readonly startLatenessP99: number;
  readonly nodeCpuPerRun: number | null;
  /** |1 − runs/s ratio| is within the spread of tracing off's own rounds. */
  readonly withinOffSpread: boolean;
}

export interface TracingResult {
  readonly endpoints: number;
  readonly everyMs: number;
  readonly warmupSeconds: number;
  readonly windowSeconds: number;
  readonly roundsPerMode: number;
  /** Modes in the order they ran. */
  readonly order: readonly TracingMode[];
  readonly sink: string;
  /**
   * Date.now() − the SDK's clock (performance.timeOrigin + now) at the end, ms: how far span end
   * times may sit from the windows' bounds.
   */
  readonly spanClockSkewMs: number;
  readonly rounds: readonly TracingRound[];
  readonly modes: Partial<Record<TracingMode, ModeSummary>>;
  readonly ratios: {
    readonly sampledToOff: RatioToOff | null;
    readonly unsampledToOff: RatioToOff | null;
  };
  /** Before every `off` round: no recording tracer, no context manager registered. */
  readonly offRoundsHadNoSdk: boolean;
  readonly noopSpans: NoopSpanCost & {
    /** Spans a run makes (the sampled mode's spans per recorded run). */
    readonly spansPerRun: number | null;
    readonly usPerRun: number | null;
    /** Of tracing off's CPU per run (this process). */
    readonly shareOfCpuPerRunPct: number | null;
  };
  readonly offCostsNothing: OffVerdict;
}

export interface OffVerdict {
  readonly definition: string;
  /**
   * The noise floor, %: the smaller of the spreads of tracing off's runs/s and of its CPU per
   * run between its own rounds.
   */
  readonly noisePct: number | null;
  /** The no-op span calls' share of a run's CPU, %. */
  readonly costPct: number | null;
  readonly met: boolean | null;
}

export const OFF_DEFINITION =
  "tracing off's span calls (a no-op tracer's cost per span, timed, × the spans a run makes) take a share of a run's CPU below the spread between tracing off's own rounds in this run (the smaller of the spreads of its runs/s and of its CPU per run) — too small for this bench to see";

const median = (xs: readonly number[]): number | null => {
  if (xs.length === 0) return null;
  const sorted = [...xs].sort((x, y) => x - y);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1
    ? (sorted[mid] ?? 0)
    : ((sorted[mid - 1] ?? 0) + (sorted[mid] ?? 0)) / 2;
};

const mean = (xs: readonly number[]) => xs.reduce((a, b) => a + b, 0) / Math.max(1, xs.length);

export function spread(xs: readonly number[]): Spread {
  const m = mean(xs);
  const min = Math.min(...xs);
  const max = Math.max(...xs);
  return { mean: m, min, max, spreadPct: m > 0 ? ((max - min) / m) * 100 : 0 };
}

export function summarizeMode(
  mode: TracingMode,
  env: Readonly<Record<string, string>>,
  rounds: readonly TracingRound[],
): ModeSummary | undefined {
  const mine = rounds.filter((r) => r.mode === mode);
  if (mine.length === 0) return undefined;
  const recorded = mine.reduce((a, r) => a + r.recorded, 0);
  const byName: Record<string, number> = {};
  for (const r of mine) {
    for (const [name, n] of Object.entries(r.spans.byName)) byName[name] = (byName[name] ?? 0) + n;
  }
  const perRun = (n: number) => (recorded > 0 ? n / recorded : 0);
  const cpu = mine.map((r) => r.nodeCpuMsPerRun).filter((v): v is number => v !== null);
  return {
    label: MODE_LABELS[mode],
    env,
    rounds: mine.length,
    runsPerSecond: spread(mine.map((r) => r.runsPerSecond)),
    startLatenessP50Ms: spread(mine.map((r) => r.startLatenessP50Ms)),
    startLatenessP99Ms: spread(mine.map((r) => r.startLatenessP99Ms)),
    nodeCpuMsPerRun: cpu.length > 0 ? spread(cpu) : null,
    spansPerRun: perRun(Object.values(byName).reduce((a, b) => a + b, 0)),
    spansPerRunByName: Object.fromEntries(
      Object.entries(byName)
        .sort(([a], [b]) => a.localeCompare(b))
        .map(([name, n]) => [name, perRun(n)]),
    ),
    recordSpansPerRun: perRun(byName['orrery.run.record'] ?? 0),
  };
}

export function ratioToOff(
  mode: TracingMode,
  modes: TracingResult['modes'],
  rounds: readonly TracingRound[],
): RatioToOff | null {
  const off = modes.off;
  const other = modes[mode];
  if (!off || !other || off.runsPerSecond.mean <= 0) return null;
  const byCycle: number[] = [];
  for (const r of rounds.filter((x) => x.mode === mode)) {
    const a = rounds.find((x) => x.mode === 'off' && x.cycle === r.cycle);
    if (a && a.runsPerSecond > 0) byCycle.push(r.runsPerSecond / a.runsPerSecond);
  }
  const ratio = other.runsPerSecond.mean / off.runsPerSecond.mean;
  const div = (x: number, y: number) => (y > 0 ? x / y : 0);
  return {
    runsPerSecond: ratio,
    runsPerSecondByCycle: byCycle,
    runsPerSecondMedianOfCycles: median(byCycle),
    startLatenessP50: div(other.startLatenessP50Ms.mean, off.startLatenessP50Ms.mean),
    startLatenessP99: div(other.startLatenessP99Ms.mean, off.startLatenessP99Ms.mean),
    nodeCpuPerRun:
      other.nodeCpuMsPerRun && off.nodeCpuMsPerRun
        ? div(other.nodeCpuMsPerRun.mean, off.nodeCpuMsPerRun.mean)
        : null,
    withinOffSpread: Math.abs(1 - ratio) * 100 <= off.runsPerSecond.spreadPct,
  };
}

export function offVerdict(
  modes: TracingResult['modes'],
  noop: TracingResult['noopSpans'],
): OffVerdict {
  const off = modes.off;
  const spreads = off
    ? [off.runsPerSecond.spreadPct, off.nodeCpuMsPerRun?.spreadPct ?? Infinity]
    : [];
  const noisePct = off && off.rounds >= 2 ? Math.min(...spreads) : null;
  const costPct = noop.shareOfCpuPerRunPct;
  return {
    definition: OFF_DEFINITION,
    noisePct,
    costPct,
    met: noisePct === null || costPct === null ? null : costPct < noisePct,
  };
}

export { TRACING_MODES };
