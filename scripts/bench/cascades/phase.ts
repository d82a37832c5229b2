/**
 * Cascade hop latency at a sustained load of four-stage chains, through the real pipeline
 * (projection — with the cascade processor — dispatcher and executor over Postgres and BullMQ).
 * `chains` heads run every `everyMs` with first slots spread evenly over one interval, so
 * chains start at `chains × 1000 / everyMs` per second; each head's response cascades to s2,
 * s2's to s3, s3's to s4. The hops and the heads' runs of the window are read back from the log.
 */
import { PROCESSOR_ATTRIBUTES, PROCESSOR_METRICS } from '@orrery/telemetry';
import type { MetricsSnapshot } from '@orrery/testkit';
import type { BenchConfig } from '../config.js';
import type { PhaseMeters } from '../meters.js';
import { figuresOf, ms, totalsOf } from '../orrery/figures.js';
import { projectionLag, startPipeline, type OrreryPipeline } from '../orrery/pipeline.js';
import { postgresPids } from '../orrery/sampling.js';
import type { Progress } from '../progress.js';
import { sleep, waitUntil } from '../time.js';
import { measureWindow } from '../window.js';
import { CHAIN_STAGES, pauseHeads, registerChains } from './chains.js';
import {
  readDepths,
  readHeads,
  readHeadsCaughtUp,
  readHops,
  readProgress,
  readRepeats,
  type HeadRow,
} from './log.js';
import {
  CASCADE_GOALS,
  HEAD_STAGES,
  HOP_STAGES,
  headStages,
  hopByDepth,
  hopStages,
  type CascadesResult,
  type ProcessorFigures,
} from './result.js';

/** Longest wait, after the window, for its chains to finish. */
const DRAIN_MS = 60_000;

/** The chains and their interval for the configured rate (an interval is at least 100 ms). */
export function chainLoad(cfg: BenchConfig): { chains: number; everyMs: number } {
  const chains = Math.max(cfg.chains, Math.ceil(cfg.chainRate / 10));
  return { chains, everyMs: Math.max(100, Math.round((chains * 1000) / cfg.chainRate)) };
}

const processorFigures = (seen: MetricsSnapshot, name: string): ProcessorFigures => {
  const where = { [PROCESSOR_ATTRIBUTES.name]: name };
  return {
    handled: seen.sum(PROCESSOR_METRICS.events, {
      ...where,
      [PROCESSOR_ATTRIBUTES.outcome]: 'handled',
    }),
    lag: ms(seen, PROCESSOR_METRICS.lag, where),
    batch: ms(seen, PROCESSOR_METRICS.batchDuration, where),
  };
};

/** One status line: rates over the last second from the log and the meters. */
function statusLine(pipeline: OrreryPipeline) {
  let position = 0;
  return async (): Promise<string> => {
    const { runtime, telemetry } = pipeline;
    const progress = await readProgress(runtime, position, CHAIN_STAGES - 1);
    position = progress.head;
    const recent = await telemetry.window('status');
    const cascade = processorFigures(recent, 'cascade').lag;
    const projection = processorFigures(recent, 'scheduling').lag;
    return [
      `heads ${String(progress.heads).padStart(4)}/s`,
      `cascades ${String(progress.triggered).padStart(4)}/s`,
      `chains done ${String(progress.done).padStart(4)}/s`,
      `lag: cascade p50 ${cascade.p50.toFixed(0)} p99 ${cascade.p99.toFixed(0)} ms, projection p50 ${projection.p50.toFixed(0)} ms`,
      `queued ${totalsOf(await telemetry.totals()).queued}`,
      `projection behind ${await projectionLag(pipeline).catch(() => -1)} ev`,
    ].join('  ');
  };
}

export async function runCascades(
  cfg: BenchConfig,
  adminUrl: string,
  targetUrl: string,
  progress: Progress,
  meters: PhaseMeters,
  signal: AbortSignal,
): Promise<CascadesResult> {
  const { chains, everyMs } = chainLoad(cfg);
  const offered = (chains * 1000) / everyMs;
  const pipeline = await startPipeline(cfg, adminUrl, 'cascades');
  const { runtime, telemetry } = pipeline;
  try {
    progress.log(
      `  database ${pipeline.database}: ${chains} chains of ${CHAIN_STAGES} stages (${chains * CHAIN_STAGES} endpoints, ${chains * (CHAIN_STAGES - 1)} edges), heads every ${everyMs} ms (${offered.toFixed(0)} chains/s, ${(offered * CHAIN_STAGES).toFixed(0)} runs/s)…`,
    );
    const leadMs = 2_000;
    let firstSlot = 0;
    await registerChains(
      pipeline,
      targetUrl,
      chains,
      everyMs,
      (i) => {
        firstSlot ||= Date.now() + leadMs;
        return firstSlot + Math.floor((i * everyMs) / chains);
      },
      signal,
    );
    let seen: MetricsSnapshot | undefined;
    const window = await measureWindow({
      label: 'orrery cascades',
      warmupMs: Math.max(0, firstSlot - Date.now()) + cfg.warmupSeconds * 1000,
      windowMs: cfg.seconds * 1000,
      signal,
      progress,
      status: statusLine(pipeline),
      onWindowStart: async () => {
        await meters.start();
        await telemetry.window(); // the window counts from here
      },
      onWindowEnd: async () => {
        seen = await telemetry.window();
        await meters.stop(await postgresPids(runtime).catch(() => undefined));
      },
    });
    const snapshot = seen ?? (await telemetry.window());
    const figures = figuresOf(snapshot, window.seconds);
    const processors = Object.fromEntries(
      ['cascade', 'scheduling'].map((name) => [name, processorFigures(snapshot, name)]),
    );

    // The window's chains finish after it: wait (bounded) until every head's slots of the
    // window are dispatched and called, pause the heads (no new chains), then wait until each
    // chain has reached its last stage.
    progress.log(
      '  letting the window’s chains finish (heads paused once their window slots ran)…',
    );
    const drainFrom = Date.now();
    const drainUntil = drainFrom + DRAIN_MS;
    let heads: HeadRow[] = [];
    await waitUntil(
      async () => {
        const caughtUp = await readHeadsCaughtUp(runtime, chains);
        if (caughtUp === null || caughtUp < window.end) return false;
        heads = await readHeads(runtime, window.start, window.end);
        return heads.every((h) => h.callStarted !== null);
      },
      { timeoutMs: DRAIN_MS, everyMs: 250, signal },
    );
    await pauseHeads(pipeline, chains);
    heads = (await readHeads(runtime, window.start, window.end)).filter(
      (h) => h.callStarted !== null,
    );
    let depths = new Map<string, number>();
    const last = CHAIN_STAGES - 1;
    await waitUntil(
      async () => {
        depths = await readDepths(runtime);
        return heads.every((h) => (depths.get(h.runId) ?? 0) >= last);
      },
      { timeoutMs: Math.max(1_000, drainUntil - Date.now()), everyMs: 250, signal },
    );
    const drainSeconds = (Date.now() - drainFrom) / 1000;
    await sleep(500, signal); // the last stages' calls are recorded too
    const hops = await readHops(runtime, window.start, window.end);
    const repeats = await readRepeats(runtime);
    progress.log('  stopping the pipeline…');
    const { keysDeleted } = await pipeline.stop();

    const reachedStage = Array.from(
      { length: CHAIN_STAGES },
      (_, stage) => heads.filter((h) => stage === 0 || (depths.get(h.runId) ?? 0) >= stage).length,
    );
    const finished = hops.filter((h) => h.callStarted !== null);
    const stages = hopStages(finished);
    const headFigures = headStages(heads);
    const hop = stages[HOP_STAGES.hop];
    const reference = headFigures[HEAD_STAGES.slotToCall];
    const measured = hop && hop.count > 0 ? hop : null;
    return {
      database: pipeline.database,
      chains,
      stagesPerChain: CHAIN_STAGES,
      everyMs,
      offeredChainsPerSecond: offered,
      windowSeconds: window.seconds,
      chainsStarted: heads.length,
      startedChainsPerSecond: heads.length / window.seconds,
      recordedRunsPerSecond: figures.recorded / window.seconds,
      reachedStage,
      chainsCompleted: reachedStage[CHAIN_STAGES - 1] ?? 0,
      drainSeconds,
      hops: finished.length,
      hopsUnfinished: hops.length - finished.length,
      stages,
      hopByDepth: hopByDepth(finished, CHAIN_STAGES),
      heads: headFigures,
      ratioToHeads:
        measured && reference && reference.p50 > 0 ? measured.p50 / reference.p50 : null,
      repeats,
      processors,
      figures,
      queueErrors: Object.fromEntries(pipeline.queueErrors),
      meters: meters.result,
      keysDeleted,
      goals: {
        p50Ms: {
          target: CASCADE_GOALS.p50Ms,
          reached: measured?.p50 ?? null,
          met: measured ? measured.p50 <= CASCADE_GOALS.p50Ms : null,
        },
        p99Ms: {
          target: CASCADE_GOALS.p99Ms,
          reached: measured?.p99 ?? null,
          met: measured ? measured.p99 <= CASCADE_GOALS.p99Ms : null,
        },
      },
    };
  } finally {
    await pipeline.stop();
  }
}
