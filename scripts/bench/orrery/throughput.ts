import type { MetricsSnapshot } from '@orrery/testkit';
import type { BenchConfig } from '../config.js';
import type { PhaseMeters } from '../meters.js';
import type { Progress } from '../progress.js';
import { summarize } from '../stats.js';
import { measureWindow } from '../window.js';
import { registerEndpoints } from './endpoints.js';
import { figuresOf, statusOf } from './figures.js';
import { projectionLag, startPipeline } from './pipeline.js';
import { report, type ThroughputResult } from './results.js';
import { postgresPids, scheduleProbe } from './sampling.js';

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
  const { runtime, telemetry } = pipeline;
  try {
    progress.log(`  database ${pipeline.database}: registering ${cfg.endpoints} endpoints…`);
    const at = Date.now();
    await registerEndpoints(runtime, targetUrl, cfg.endpoints, cfg.everyMs, () => at, signal);
    const dueBacklog: number[] = [];
    let seen: MetricsSnapshot | undefined;
    const window = await measureWindow({
      label: 'orrery max',
      warmupMs: cfg.warmupSeconds * 1000,
      windowMs: cfg.seconds * 1000,
      signal,
      progress,
      status: async (_elapsed, measuring) => {
        const probe = await scheduleProbe(runtime).catch(() => ({ due: -1, inFlight: -1 }));
        if (measuring) dueBacklog.push(probe.due);
        const line = statusOf(await telemetry.window('status'), await telemetry.totals());
        return [
          ...line,
          `due ${probe.due}`,
          `in flight ${probe.inFlight}`,
          `projection lag ${await projectionLag(pipeline).catch(() => -1)} ev`,
        ].join('  ');
      },
      onWindowStart: async () => {
        await meters.start();
        await telemetry.window(); // the window counts from here
      },
      onWindowEnd: async () => {
        seen = await telemetry.window();
        await meters.stop(await postgresPids(runtime).catch(() => undefined));
      },
    });
    const measured = figuresOf(seen ?? (await telemetry.window()), window.seconds);
    progress.log('  stopping the pipeline…');
    const { keysDeleted } = await pipeline.stop();
    return {
      ...report(
        pipeline,
        meters,
        measured,
        window.seconds,
        cfg.endpoints,
        cfg.everyMs,
        keysDeleted,
      ),
      runsPerSecond: measured.recorded / window.seconds,
      dispatchedPerSecond: measured.dispatched / window.seconds,
      dueBacklog: summarize(dueBacklog),
    };
  } finally {
    await pipeline.stop();
  }
}
