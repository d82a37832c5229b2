/**
 * Scale: how Orrery's costs grow with the number of registered endpoints (and so with the log).
 * Per count (BENCH_SCALE_ENDPOINTS, 10 000 and 100 000), on a fresh database, a runtime with
 * the projection role only (no dispatcher competing for the rows, no calls):
 *
 *   1. register the endpoints idle (first slot an hour away): append rate, then how long the
 *      projection takes to build their schedule rows, and its lag when the appends end;
 *   2. claim time with none due: the dispatcher's claim statement (`claimDue`, 200 rows,
 *      200 ms ahead) on a schedule of N rows of which none is due;
 *   3. claim time with all due: every row made due by SQL (the bench's shortcut: the rows move,
 *      no run is made), then 200-row claims in turn, as dispatcher rounds take them;
 *   4. reads as the log grows: one endpoint's stream, and the log's last 1 000 events;
 *   5. sizes: bytes per event (the events table with its indexes) and per schedule row, and this
 *      process's memory per endpoint (RSS and V8 heap deltas: the projection keeps no state per
 *      endpoint in memory, so this says whether that holds).
 */
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { endpointStream } from '@orrery/domain';
import { InProcessQueue } from '@orrery/queue';
import { claimDue, startRuntime, type Runtime } from '@orrery/scheduling';
import { sql } from 'kysely';
import pino from 'pino';
import type { BenchConfig } from '../config.js';
import { createBenchDatabase } from '../infra.js';
import { registerEndpoints } from '../orrery/endpoints.js';
import type { Progress } from '../progress.js';
import { summarize, type Summary } from '../stats.js';
import { withTimeout } from '../time.js';

export interface ScalePoint {
  readonly endpoints: number;
  readonly register: {
    /** Appending the registrations (appendMany, 500 streams a call), s. */
    readonly appendSeconds: number;
    /** Until the projection had written every schedule row, from the first append, s. */
    readonly projectedSeconds: number;
    /** Events the projection still had to apply when the appends ended. */
    readonly lagAtAppendEnd: number;
  };
  /** The claim statement, ms per call. */
  readonly claimIdleMs: Summary;
  readonly claimDueMs: Summary;
  /** Rows each due claim returned (200 unless the schedule ran out). */
  readonly claimedPerCall: number;
  readonly readStreamMs: Summary;
  readonly readTailMs: Summary;
  readonly events: number;
  readonly bytesPerEvent: number;
  readonly bytesPerScheduleRow: number;
  /** This process's growth over the registration, per endpoint. */
  readonly memoryPerEndpoint: { readonly rssBytes: number; readonly heapBytes: number };
}

export interface ScaleResult {
  readonly points: readonly ScalePoint[];
}

/**
 * A full garbage collection before each memory reading, so the heap delta is what stays (the
 * registration's own garbage is not counted). The flag exposes `gc` to contexts made after it.
 */
setFlagsFromString('--expose-gc');
const collectGarbage = runInNewContext('gc') as () => void;

const CLAIMS = 30;
const READS = 50;
const CLAIM_BATCH = 200;

export async function runScale(
  cfg: BenchConfig,
  adminUrl: string,
  targetUrl: string,
  progress: Progress,
  signal: AbortSignal,
): Promise<ScaleResult> {
  const points: ScalePoint[] = [];
  for (const endpoints of cfg.scaleEndpoints) {
    if (signal.aborted) break;
    points.push(
      await runPoint(endpoints, cfg.dispatchAheadMs, adminUrl, targetUrl, progress, signal),
    );
  }
  return { points };
}

async function runPoint(
  endpoints: number,
  aheadMs: number,
  adminUrl: string,
  targetUrl: string,
  progress: Progress,
  signal: AbortSignal,
): Promise<ScalePoint> {
  const database = await createBenchDatabase(adminUrl, `scale_${endpoints}`);
  let runtime: Runtime | undefined;
  try {
    runtime = await startRuntime({
      connectionString: database.url,
      queue: new InProcessQueue(),
      log: pino({ level: process.env['BENCH_LOG_LEVEL'] ?? 'warn' }, pino.destination(2)),
      roles: ['projection'],
      migrate: true,
    });
    collectGarbage();
    const memoryBefore = process.memoryUsage();
    const started = performance.now();
    progress.log(`  ${endpoints.toLocaleString('en')} endpoints: registering (idle)…`);
    const anHourAway = Date.now() + 3_600_000;
    let appendSeconds = 0;
    let lagAtAppendEnd = 0;
    await registerEndpoints(runtime, targetUrl, endpoints, 3_600_000, () => anHourAway, signal, {
      onAppended: async () => {
        appendSeconds = (performance.now() - started) / 1000;
        lagAtAppendEnd = await projectionLag(runtime as Runtime);
      },
      timeoutMs: 600_000,
    });
    const projectedSeconds = (performance.now() - started) / 1000;
    collectGarbage();
    const memoryAfter = process.memoryUsage();
    const { db } = runtime;
    progress.log(
      `    appended in ${appendSeconds.toFixed(1)} s, projected in ${projectedSeconds.toFixed(1)} s; claiming…`,
    );
    const claimIdleMs = await timed(CLAIMS, () =>
      claimDue(db, Date.now(), 5_000, CLAIM_BATCH, aheadMs),
    );
    await sql`update schedule set next_run_at = now() - interval '1 second' /* bench */`.execute(
      db,
    );
    let claimed = 0;
    const claimDueMs = await timed(CLAIMS, async () => {
      claimed += (await claimDue(db, Date.now(), 60_000, CLAIM_BATCH, aheadMs)).length;
    });
    const store = runtime.store;
    const head = await store.headPosition();
    const readStreamMs = await timed(READS, () =>
      store.readStream(endpointStream('bench', `b${Math.floor(endpoints / 2)}`)),
    );
    const readTailMs = await timed(READS, () =>
      store.readAll({ after: Math.max(0, head - 1_000), limit: 1_000 }),
    );
    const { rows } = await sql<{
      events: number;
      events_bytes: number;
      schedule_bytes: number;
      schedule_rows: number;
    }>`
      select (select count(*) from events)::int as events,
        pg_total_relation_size('events')::float8 as events_bytes,
        pg_total_relation_size('schedule')::float8 as schedule_bytes,
        (select count(*) from schedule)::int as schedule_rows /* bench */`.execute(db);
    const sizes = rows[0];
    return {
      endpoints,
      register: { appendSeconds, projectedSeconds, lagAtAppendEnd },
      claimIdleMs,
      claimDueMs,
      claimedPerCall: claimed / CLAIMS,
      readStreamMs,
      readTailMs,
      events: sizes?.events ?? 0,
      bytesPerEvent: sizes && sizes.events > 0 ? sizes.events_bytes / sizes.events : 0,
      bytesPerScheduleRow:
        sizes && sizes.schedule_rows > 0 ? sizes.schedule_bytes / sizes.schedule_rows : 0,
      memoryPerEndpoint: {
        rssBytes: (memoryAfter.rss - memoryBefore.rss) / endpoints,
        heapBytes: (memoryAfter.heapUsed - memoryBefore.heapUsed) / endpoints,
      },
    };
  } finally {
    if (runtime) await withTimeout(runtime.stop(), 30_000, 'stopping the scale runtime');
    await database.drop();
  }
}

/** `fn` run `n` times in turn: ms per call. */
async function timed(n: number, fn: () => Promise<unknown>): Promise<Summary> {
  const ms: number[] = [];
  for (let i = 0; i < n; i++) {
    const start = performance.now();
    await fn();
    ms.push(performance.now() - start);
  }
  return summarize(ms);
}

async function projectionLag(runtime: Runtime): Promise<number> {
  const head = await runtime.store.headPosition();
  const checkpoint = runtime.processors.find((p) => p.name === 'scheduling')?.position ?? 0;
  return Math.max(0, head - checkpoint);
}
