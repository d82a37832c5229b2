import { sql } from 'kysely';
import type { BenchConfig } from '../config.js';
import type { PhaseMeters } from '../meters.js';
import type { Progress } from '../progress.js';
import { summarize } from '../stats.js';
import { sleep, waitUntil } from '../time.js';
import { measureWindow } from '../window.js';
import { registerEndpoints } from './endpoints.js';
import { startPipeline } from './pipeline.js';
import { report, type LatenessResult } from './results.js';
import { STAGES } from './run-stages.js';
import { perSecond, postgresPids } from './sampling.js';

/**
 * Lateness at a fixed offered load: `rate × everyMs / 1000` endpoints whose
 * first runs are spread evenly over one interval, so slots arrive smoothly at
 * `rate` per second. Lateness of the slots that fall in the window.
 */
export async function runLateness(
  cfg: BenchConfig,
  adminUrl: string,
  targetUrl: string,
  progress: Progress,
  meters: PhaseMeters,
  signal: AbortSignal,
): Promise<LatenessResult> {
  const everyMs = cfg.latenessEveryMs;
  const endpoints = Math.max(1, Math.round((cfg.rate * everyMs) / 1000));
  const offeredPerSecond = (endpoints * 1000) / everyMs;
  const pipeline = await startPipeline(cfg, adminUrl, 'lateness');
  const { stats, runtime } = pipeline;
  try {
    progress.log(
      `  database ${pipeline.database}: registering ${endpoints} endpoints every ${everyMs} ms (${offeredPerSecond} runs/s)…`,
    );
    const leadMs = 2_000;
    const firstSlot = Date.now() + leadMs;
    await registerEndpoints(
      pipeline,
      targetUrl,
      endpoints,
      everyMs,
      (i) => firstSlot + Math.floor((i * everyMs) / endpoints),
      signal,
    );
    let windowStart = Number.POSITIVE_INFINITY;
    let windowEnd = Number.POSITIVE_INFINITY;
    stats.inWindow = (slot) => slot >= windowStart && slot < windowEnd;
    const recordedRate = perSecond();
    const dispatchedRate = perSecond();
    const status = () => {
      const recent = summarize(stats.recentLateness);
      stats.recentLateness = [];
      const dispatched = runtime.dispatcher?.stats.dispatched ?? 0;
      return [
        `recorded ${String(recordedRate(stats.recorded)).padStart(4)}/s`,
        `dispatched ${String(dispatchedRate(dispatched)).padStart(4)}/s`,
        `start lateness p50 ${recent.p50.toFixed(0)} p99 ${recent.p99.toFixed(0)} ms`,
        `queued ${stats.enqueued - stats.pickedUp}`,
        `projection lag ${Math.max(0, stats.maxAppended - stats.maxProjected)} ev`,
      ].join('  ');
    };
    const window = await measureWindow({
      label: 'orrery lat',
      warmupMs: Math.max(0, firstSlot - Date.now()) + cfg.warmupSeconds * 1000,
      windowMs: cfg.seconds * 1000,
      signal,
      progress,
      status,
      onWindowStart: async () => {
        await meters.start();
        stats.resetWindow();
        stats.measuring = true;
        windowStart = Date.now();
      },
      onWindowEnd: async () => {
        windowEnd = Date.now();
        stats.measuring = false;
        await meters.stop(await postgresPids(runtime).catch(() => undefined));
      },
    });
    // Let the window's last slots be dispatched and recorded, then stop dispatching and
    // let the projection catch up so the read model holds every run of the window.
    await sleep(2_000, signal);
    await runtime.dispatcher?.stop();
    await waitUntil(() => stats.pickedUp >= stats.enqueued, { timeoutMs: 10_000, signal });
    await runtime.executor?.stop();
    await waitUntil(() => stats.maxProjected >= stats.maxAppended, {
      timeoutMs: 15_000,
      signal,
    });
    const { rows } = await sql<{ lateness_ms: number }>`
      select lateness_ms from runs /* bench */
      where scheduled_for >= ${new Date(window.start)} and scheduled_for < ${new Date(window.end)}`.execute(
      runtime.db,
    );
    const lateness = rows.map((r) => r.lateness_ms);
    const recordedInWindow = stats.stages.get(STAGES.endToEnd).count;
    progress.log('  stopping the pipeline…');
    const { keysDeleted } = await pipeline.stop();
    const slotsOffered = Math.round(endpoints * ((window.end - window.start) / everyMs));
    return {
      ...report(
        pipeline,
        meters,
        window.seconds,
        endpoints,
        everyMs,
        rows.length,
        recordedInWindow,
        keysDeleted,
      ),
      offeredPerSecond,
      achievedPerSecond: rows.length / window.seconds,
      slotsOffered,
      slotsDispatched: rows.length,
      dispatchLateness: summarize(lateness),
    };
  } finally {
    await pipeline.stop();
  }
}
