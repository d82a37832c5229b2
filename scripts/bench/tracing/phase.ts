/**
 * Tracing overhead: the saturated pipeline of the max-throughput phase, run in short rounds in
 * three modes — tracing off, an SDK sampling and exporting everything, an SDK sampling nothing —
 * interleaved (each pass runs every mode once, the order rotated pass by pass) so drifts in the
 * machine's load hit every mode alike. Each round is its own runtime on a fresh database, so no
 * round inherits another's backlog or spans.
 */
import { loadavg } from 'node:os';
import { performance } from 'node:perf_hooks';
import type { MetricsSnapshot } from '@orrery/testkit';
import type { BenchConfig } from '../config.js';
import type { PhaseMeters } from '../meters.js';
import { registerEndpoints } from '../orrery/endpoints.js';
import { figuresOf, STAGES, statusOf } from '../orrery/figures.js';
import { startPipeline } from '../orrery/pipeline.js';
import { postgresPids } from '../orrery/sampling.js';
import type { Progress } from '../progress.js';
import { sleep } from '../time.js';
import { measureWindow } from '../window.js';
import { modeEnv, startMode, TRACING_MODES, tracingIsOff, type TracingMode } from './modes.js';
import { timeNoopSpans } from './noop-cost.js';
import {
  offVerdict,
  ratioToOff,
  summarizeMode,
  type TracingResult,
  type TracingRound,
} from './result.js';
import { startSpanSink, type SpanSink } from './span-sink.js';

interface RoundContext {
  readonly cfg: BenchConfig;
  readonly adminUrl: string;
  readonly targetUrl: string;
  readonly progress: Progress;
  readonly sink: SpanSink;
  readonly signal: AbortSignal;
}

/** Pass `cycle` runs every mode once, starting one further along each pass. */
export function passOrder(cycle: number): TracingMode[] {
  const n = TRACING_MODES.length;
  return TRACING_MODES.map((_, i) => TRACING_MODES[(i + cycle) % n] as TracingMode);
}

async function runRound(
  x: RoundContext,
  mode: TracingMode,
  cycle: number,
  meters: PhaseMeters,
): Promise<TracingRound> {
  const { cfg, sink, signal, progress } = x;
  const loadAverage = loadavg()[0] ?? 0;
  const session = startMode(mode, sink.url);
  let stopPipeline: (() => Promise<unknown>) | undefined;
  try {
    const pipeline = await startPipeline(cfg, x.adminUrl, `tracing_${mode}`, session.tracer);
    stopPipeline = pipeline.stop;
    const { runtime, telemetry } = pipeline;
    const at = Date.now();
    await registerEndpoints(
      runtime,
      x.targetUrl,
      cfg.tracingEndpoints,
      cfg.everyMs,
      () => at,
      signal,
    );
    sink.reset();
    let seen: MetricsSnapshot | undefined;
    const window = await measureWindow({
      label: `tracing ${mode.padEnd(9)} #${cycle + 1}`,
      warmupMs: cfg.warmupSeconds * 1000,
      windowMs: cfg.tracingSeconds * 1000,
      signal,
      progress,
      status: async () =>
        [
          ...statusOf(await telemetry.window('status'), await telemetry.totals()),
          `spans received ${sink.spans}`,
        ].join('  '),
      onWindowStart: async () => {
        await meters.start();
        await telemetry.window(); // the window counts from here
      },
      onWindowEnd: async () => {
        seen = await telemetry.window();
        await meters.stop(await postgresPids(runtime).catch(() => undefined));
      },
    });
    const figures = figuresOf(seen ?? (await telemetry.window()), window.seconds);
    await pipeline.stop();
    await session.stop(); // flushes the spans still batched to the sink
    const spans = sink.endedIn(window.start, window.end);
    const cpu = meters.result.cpu;
    const start = figures.stages[STAGES.startLateness];
    const perRun = (n: number) => (figures.recorded > 0 ? n / figures.recorded : 0);
    return {
      mode,
      cycle,
      windowSeconds: window.seconds,
      loadAverage,
      recorded: figures.recorded,
      runsPerSecond: figures.recorded / window.seconds,
      startLatenessP50Ms: start?.p50 ?? 0,
      startLatenessP99Ms: start?.p99 ?? 0,
      failedCalls: figures.failedCalls,
      nodeCpuMsPerRun:
        cpu && figures.recorded > 0
          ? ((cpu.nodeProcessPct / 100) * cpu.wallMs) / figures.recorded
          : null,
      nodeProcessPct: cpu?.nodeProcessPct ?? null,
      mainLoopUtilisation: cpu?.mainLoopUtilisation ?? null,
      postgresPct: cpu?.postgresPct ?? null,
      machineBusyPct: cpu?.machineBusyPct ?? null,
      spans: {
        total: spans.total,
        perRun: perRun(spans.total),
        byName: spans.byName,
        recordSpansPerRun: perRun(spans.byName['orrery.run.record'] ?? 0),
        exportRequests: sink.requests,
        unreadableRequests: sink.unreadable,
      },
    };
  } finally {
    await stopPipeline?.();
    await session.stop();
  }
}

export async function runTracing(
  cfg: BenchConfig,
  adminUrl: string,
  targetUrl: string,
  progress: Progress,
  meters: () => PhaseMeters,
  signal: AbortSignal,
): Promise<TracingResult> {
  const sink = await startSpanSink();
  const rounds: TracingRound[] = [];
  const order: TracingMode[] = [];
  let offRoundsHadNoSdk = true;
  try {
    const x: RoundContext = { cfg, adminUrl, targetUrl, progress, sink, signal };
    for (let cycle = 0; cycle < cfg.tracingRounds && !signal.aborted; cycle += 1) {
      for (const mode of passOrder(cycle)) {
        if (signal.aborted) break;
        if (mode === 'off') offRoundsHadNoSdk &&= tracingIsOff();
        const round = await runRound(x, mode, cycle, meters());
        if (signal.aborted) break;
        rounds.push(round);
        order.push(mode);
        progress.log(
          `  ${mode.padEnd(9)} #${cycle + 1}: ${round.runsPerSecond.toFixed(0)} runs/s, call-start lateness p50 ${round.startLatenessP50Ms.toFixed(0)} p99 ${round.startLatenessP99Ms.toFixed(0)} ms, ${round.nodeCpuMsPerRun?.toFixed(2) ?? '–'} CPU ms/run, ${round.spans.perRun.toFixed(2)} spans/run exported (load ${round.loadAverage.toFixed(1)})`,
        );
        await sleep(500, signal);
      }
    }
  } finally {
    await sink.close();
  }
  if (!tracingIsOff()) throw new Error('tracing was left on after the tracing phase');
  const modes: TracingResult['modes'] = {};
  for (const mode of TRACING_MODES) {
    const summary = summarizeMode(mode, modeEnv(mode, sink.url), rounds);
    if (summary) modes[mode] = summary;
  }
  const cost = timeNoopSpans(startMode('off', sink.url).tracer);
  const spansPerRun = modes.sampled?.spansPerRun ?? null;
  const usPerRun = spansPerRun === null ? null : (cost.nsPerSpan * spansPerRun) / 1000;
  const cpuPerRunMs = modes.off?.nodeCpuMsPerRun?.mean ?? null;
  const noopSpans = {
    ...cost,
    spansPerRun,
    usPerRun,
    shareOfCpuPerRunPct:
      usPerRun === null || cpuPerRunMs === null || cpuPerRunMs <= 0
        ? null
        : (usPerRun / 1000 / cpuPerRunMs) * 100,
  };
  return {
    endpoints: cfg.tracingEndpoints,
    everyMs: cfg.everyMs,
    warmupSeconds: cfg.warmupSeconds,
    windowSeconds: cfg.tracingSeconds,
    roundsPerMode: cfg.tracingRounds,
    order,
    sink: sink.url,
    spanClockSkewMs: Date.now() - (performance.timeOrigin + performance.now()),
    rounds,
    modes,
    ratios: {
      sampledToOff: ratioToOff('sampled', modes, rounds),
      unsampledToOff: ratioToOff('unsampled', modes, rounds),
    },
    offRoundsHadNoSdk,
    noopSpans,
    offCostsNothing: offVerdict(modes, noopSpans),
  };
}
