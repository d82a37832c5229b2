/**
 * One `replay` (what `npm run replay` runs) over the generated log, timed: its own report says
 * where the time went (reading, decoding, folding, writing). The first pass swaps its read models
 * in (the bench's database has no projection running); the second, with `verify`, checks every
 * event against the catalogue and compares with the first — no difference is the check that the
 * trusted read folds the same rows as the checked one.
 */
import { readFile } from 'node:fs/promises';
import { availableParallelism } from 'node:os';
import { createPostgresEventStore } from '@orrery/event-store';
import { replay, type ReplayTimings } from '@orrery/scheduling';
import pg from 'pg';
import pino from 'pino';
import type { PhaseMeters, WindowMeters } from '../meters.js';
import type { Progress } from '../progress.js';
import { statFields } from '../../lib/proc-stat.js';

export interface ReplayPassFigures {
  /** `trusted`: type and version checked (the default); `verify`: every event's schema. */
  readonly reads: 'trusted' | 'verify';
  /** Threads that folded the log (0: the caller's). */
  readonly workers: number;
  readonly events: number;
  readonly seconds: number;
  readonly perSecond: number;
  readonly timings: ReplayTimings;
  readonly compareSeconds: number;
  /** Rows that differ from the live read models (after the first pass's swap: from it). */
  readonly differences: number;
  readonly parked: number;
  readonly swapped: boolean;
  /** CPU per process during the pass (the first pass only). */
  readonly meters: WindowMeters | null;
}

export async function replayPass(
  url: string,
  options: { readonly verify: boolean; readonly swap: boolean; readonly workers?: number },
  progress: Progress,
  meters: PhaseMeters | null,
): Promise<ReplayPassFigures> {
  const store = createPostgresEventStore({ connectionString: url, maxConnections: 2 });
  const workers = options.workers ?? Math.min(2, availableParallelism());
  const label = `${options.verify ? 'replay --verify' : 'replay'}${workers === 0 ? ' (one thread)' : ''}`;
  try {
    // The replay's backends end before the window does: the server is counted whole.
    const postmaster = meters ? await postmasterOf(url) : undefined;
    await meters?.start();
    const report = await replay({
      connectionString: url,
      store,
      swap: options.swap,
      verify: options.verify,
      workers,
      limit: 10,
      log: pino({ level: process.env['BENCH_LOG_LEVEL'] ?? 'warn' }, pino.destination(2)),
      onProgress: (p) => {
        const rate = p.read / Math.max(p.elapsedMs / 1000, 0.001);
        progress.update(
          `${label}: ${p.read.toLocaleString('en')} / ${p.total.toLocaleString('en')} (${Math.round(rate).toLocaleString('en')} events/s, ~${Math.ceil((p.total - p.read) / Math.max(rate, 1))} s left)`,
        );
      },
    });
    await meters?.stop(postmaster === undefined ? undefined : { postmaster });
    progress.done();
    return {
      reads: options.verify ? 'verify' : 'trusted',
      workers,
      events: report.events,
      seconds: report.replayMs / 1000,
      perSecond: (report.events * 1000) / Math.max(report.replayMs, 1),
      timings: report.timings,
      compareSeconds: report.compareMs / 1000,
      differences: report.tables.reduce((n, t) => n + t.differences, 0),
      parked: report.parked.length,
      swapped: report.swap?.swapped === true,
      meters: meters?.result ?? null,
    };
  } finally {
    await store.close();
  }
}

/** The postmaster of the server behind `url`, when it runs on this machine (its backends' parent). */
async function postmasterOf(url: string): Promise<number | undefined> {
  const client = new pg.Client({ connectionString: url });
  try {
    await client.connect();
    const { rows } = await client.query<{ pid: number }>('select pg_backend_pid() as pid');
    const pid = rows[0]?.pid;
    if (pid === undefined) return undefined;
    if ((await readFile(`/proc/${pid}/comm`, 'utf8')).trim() !== 'postgres') return undefined;
    const stat = await readFile(`/proc/${pid}/stat`, 'utf8');
    return Number(statFields(stat)[1]);
  } catch {
    return undefined; // another machine's server, or /proc unreadable: not reported
  } finally {
    await client.end().catch(() => {});
  }
}
