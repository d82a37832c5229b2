import type { MetricsSnapshot } from '@orrery/testkit';
import { sql } from 'kysely';
import type { BenchConfig } from '../config.js';
import type { PhaseMeters } from '../meters.js';
import type { Progress } from '../progress.js';
import { summarize } from '../stats.js';
import { sleep, waitUntil } from '../time.js';
import { measureWindow } from '../window.js';
import { offerRate } from './endpoints.js';
import { bySecond } from './by-second.js';
import { figuresOf, statusOf, totalsOf } from './figures.js';
import { projectionLag, startPipeline } from './pipeline.js';
import { report, type LatenessResult } from './results.js';
import { postgresPids } from './sampling.js';

/**
 * Lateness at a fixed offered load: `rate × everyMs / 1000` endpoints whose
 * first runs are spread evenly over one interval, so slots arrive smoothly at
 * `rate` per second. The headline is each window slot's call-start lateness, exact and signed,
 * from the `runs` read model (`started_at − scheduled_for`, the executor's clock at the call's
 * start): percentiles, and how many calls started before their slot (must be 0). Dispatch
 * lateness (`runs.lateness_ms`) and the window's meters are the breakdown. The window opens
 * `latenessWarmupSeconds` after the first slot; the p99 second by second from the first slot
 * shows the runtime's start before it.
 */
export async function runLateness(
  cfg: BenchConfig,
  adminUrl: string,
  targetUrl: string,
  progress: Progress,
  meters: PhaseMeters,
  signal: AbortSignal,
): Promise<LatenessResult> {
  const pipeline = await startPipeline(cfg, adminUrl, 'lateness');
  const { runtime, telemetry } = pipeline;
  try {
    progress.log(
      `  database ${pipeline.database}: registering endpoints every ${cfg.latenessEveryMs} ms (${cfg.rate} runs/s)…`,
    );
    const { everyMs, endpoints, firstSlot } = await offerRate(cfg, runtime, targetUrl, signal);
    const offeredPerSecond = (endpoints * 1000) / everyMs;
    let seen: MetricsSnapshot | undefined;
    const window = await measureWindow({
      label: 'orrery lat',
      warmupMs: Math.max(0, firstSlot - Date.now()) + cfg.latenessWarmupSeconds * 1000,
      windowMs: cfg.seconds * 1000,
      signal,
      progress,
      status: async () => {
        const line = statusOf(await telemetry.window('status'), await telemetry.totals());
        const lag = await projectionLag(pipeline).catch(() => -1);
        return [...line, `projection lag ${lag} ev`].join('  ');
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
    const figures = figuresOf(seen ?? (await telemetry.window()), window.seconds);
    // Let the window's last slots be dispatched and recorded, then stop dispatching and
    // let the projection catch up so the read model holds every run of the window.
    await sleep(2_000, signal);
    await runtime.dispatcher?.stop();
    await waitUntil(async () => totalsOf(await telemetry.totals()).queued === 0, {
      timeoutMs: 10_000,
      signal,
    });
    await runtime.executor?.stop();
    await waitUntil(async () => (await projectionLag(pipeline)) === 0, {
      timeoutMs: 15_000,
      signal,
    });
    // Every slot from the first: the window's, and the start's for the per-second line.
    const { rows: fromFirstSlot } = await sql<{
      lateness_ms: number;
      start_ms: number | null;
      slot_ms: number;
    }>`
      select lateness_ms,
        extract(epoch from started_at - scheduled_for) * 1000 as start_ms,
        extract(epoch from scheduled_for) * 1000 as slot_ms from runs /* bench */
      where scheduled_for >= ${new Date(firstSlot)} and scheduled_for < ${new Date(window.end)}`.execute(
      runtime.db,
    );
    const rows = fromFirstSlot.filter((r) => Number(r.slot_ms) >= window.start);
    progress.log('  stopping the pipeline…');
    const { keysDeleted } = await pipeline.stop();
    const slotsOffered = Math.round(endpoints * ((window.end - window.start) / everyMs));
    return {
      ...report(pipeline, meters, figures, window.seconds, endpoints, everyMs, keysDeleted),
      offeredPerSecond,
      achievedPerSecond: rows.length / window.seconds,
      slotsOffered,
      slotsDispatched: rows.length,
      dispatchLateness: summarize(rows.map((r) => r.lateness_ms)),
      ...callStarts(rows.map((r) => (r.start_ms === null ? null : Number(r.start_ms)))),
      windowStartSecond: Math.floor((window.start - firstSlot) / 1000),
      bySecond: bySecond(firstSlot, fromFirstSlot),
    };
  } finally {
    await pipeline.stop();
  }
}

/** The call-start figures of the window's runs (null: no call recorded). */
function callStarts(
  startMs: readonly (number | null)[],
): Pick<LatenessResult, 'callStartLateness' | 'callsStarted' | 'earlyCalls' | 'earliestMs'> {
  const started = startMs.filter((ms): ms is number => ms !== null);
  const early = started.filter((ms) => ms < 0);
  return {
    callStartLateness: summarize(started),
    callsStarted: started.length,
    earlyCalls: early.length,
    earliestMs: early.length === 0 ? null : Math.min(...early),
  };
}
