import type { BenchConfig } from '../config.js';
import type { PhaseMeters } from '../meters.js';
import type { Progress } from '../progress.js';
import { summarize } from '../stats.js';
import { measureWindow } from '../window.js';
import { registerEndpoints } from './endpoints.js';
import { startPipeline } from './pipeline.js';
import { report, type ThroughputResult } from './results.js';
import { perSecond, postgresPids, scheduleProbe } from './sampling.js';

/**
 * Max throughput: many endpoints on the smallest interval, all due at once,
 * so the pipeline stays saturated; counts ResponseRecorded in the window.
 */
export async function runThroughput(
  cfg: BenchConfig,
  adminUrl: string,
  targetUrl: string,
  progress: Progress,
  meters: PhaseMeters,
  signal: AbortSignal,
): Promise<ThroughputResult> {
  const pipeline = await startPipeline(cfg, adminUrl, 'throughput');
  const { stats, runtime } = pipeline;
  try {
    progress.log(`  database ${pipeline.database}: registering ${cfg.endpoints} endpoints…`);
    const at = Date.now();
    await registerEndpoints(pipeline, targetUrl, cfg.endpoints, cfg.everyMs, () => at, signal);
    const dueBacklog: number[] = [];
    const recordedRate = perSecond();
    const dispatchedRate = perSecond();
    let windowStart = Number.POSITIVE_INFINITY;
    let windowEnd = Number.POSITIVE_INFINITY;
    let recordedAtStart = 0;
    let dispatchedAtStart = 0;
    let recordedAtEnd = 0;
    let dispatchedAtEnd = 0;
    stats.inWindow = (_slot, recordedAt) => recordedAt >= windowStart && recordedAt < windowEnd;
    const window = await measureWindow({
      label: 'orrery max',
      warmupMs: cfg.warmupSeconds * 1000,
      windowMs: cfg.seconds * 1000,
      signal,
      progress,
      status: async (_elapsed, measuring) => {
        stats.recentLateness = [];
        const probe = await scheduleProbe(runtime).catch(() => ({ due: -1, inFlight: -1 }));
        if (measuring) dueBacklog.push(probe.due);
        const dispatched = runtime.dispatcher?.stats.dispatched ?? 0;
        return [
          `recorded ${String(recordedRate(stats.recorded)).padStart(5)}/s`,
          `dispatched ${String(dispatchedRate(dispatched)).padStart(5)}/s`,
          `due ${probe.due}`,
          `in flight ${probe.inFlight}`,
          `queued ${stats.enqueued - stats.pickedUp}`,
          `projection lag ${Math.max(0, stats.maxAppended - stats.maxProjected)} ev`,
        ].join('  ');
      },
      onWindowStart: async () => {
        await meters.start();
        stats.resetWindow();
        stats.measuring = true;
        windowStart = Date.now();
        recordedAtStart = stats.recorded;
        dispatchedAtStart = runtime.dispatcher?.stats.dispatched ?? 0;
      },
      onWindowEnd: async () => {
        windowEnd = Date.now();
        recordedAtEnd = stats.recorded;
        dispatchedAtEnd = runtime.dispatcher?.stats.dispatched ?? 0;
        stats.measuring = false;
        await meters.stop(await postgresPids(runtime).catch(() => undefined));
      },
    });
    const recorded = recordedAtEnd - recordedAtStart;
    const dispatched = dispatchedAtEnd - dispatchedAtStart;
    progress.log('  stopping the pipeline…');
    const { keysDeleted } = await pipeline.stop();
    return {
      ...report(
        pipeline,
        meters,
        window.seconds,
        cfg.endpoints,
        cfg.everyMs,
        dispatched,
        recorded,
        keysDeleted,
      ),
      runsPerSecond: recorded / window.seconds,
      dispatchedPerSecond: dispatched / window.seconds,
      dueBacklog: summarize(dueBacklog),
    };
  } finally {
    await pipeline.stop();
  }
}
