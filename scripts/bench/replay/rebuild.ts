/**
 * The live projection's catch-up, timed: the real SchedulingProjection hosted by a ProcessorHost,
 * ticked from position 0 on empty read models (batch by batch, loading and writing the states it
 * touches, as it runs live). What it
 * spends goes to the instruments an operator reads — the store's read duration and the host's
 * batch duration and event counts (`MemoryTelemetry` as the instrumentation of both) — and
 * Kysely's query log on the read models' database handle (see StatementTimer).
 */
import {
  createEventStorePool,
  createPostgresEventStore,
  EVENT_STORE_ATTRIBUTES,
  EVENT_STORE_METRICS,
} from '@orrery/event-store';
import {
  ProcessorHost,
  SchedulingProjection,
  type SchedulingDb,
  type SchedulingSchema,
} from '@orrery/scheduling';
import { PROCESSOR_ATTRIBUTES, PROCESSOR_METRICS } from '@orrery/telemetry';
import { MemoryTelemetry } from '@orrery/testkit';
import { Kysely, PostgresDialect, sql } from 'kysely';
import pino from 'pino';
import type { PhaseMeters, WindowMeters } from '../meters.js';
import type { Progress } from '../progress.js';
import { everySecond } from './read-baseline.js';
import { StatementTimer, type StatementTotal } from './statement-timer.js';

export interface RebuildFigures {
  readonly events: number;
  readonly seconds: number;
  readonly perSecond: number;
  readonly batchSize: number;
  /** `orrery.event_store.read.duration` (kind all): query, rows and decoding. */
  readonly read: { readonly calls: number; readonly ms: number };
  /** `orrery.processor.batch.duration`: the projection's `handle` and the checkpoint. */
  readonly batches: {
    readonly count: number;
    readonly ms: number;
    readonly p50Ms: number;
    readonly p99Ms: number;
  };
  /** `orrery.processor.events` by outcome. */
  readonly handled: number;
  readonly skipped: number;
  readonly parked: number;
  /** The read models' SQL by statement (Kysely's log). */
  readonly statements: readonly StatementTotal[];
  readonly meters: WindowMeters;
}

async function postgresPids(db: SchedulingDb): Promise<Set<number>> {
  const { rows } = await sql<{ pid: number }>`
    select pid from pg_stat_activity /* bench */
    where datname = current_database() or datname is null`.execute(db);
  return new Set(rows.map((r) => r.pid));
}

export async function rebuild(
  url: string,
  batchSize: number,
  head: number,
  meters: PhaseMeters | null,
  progress: Progress,
  signal: AbortSignal,
): Promise<RebuildFigures> {
  const telemetry = new MemoryTelemetry();
  const timer = new StatementTimer();
  const { instrumentation } = telemetry;
  const store = createPostgresEventStore({
    connectionString: url,
    maxConnections: 2,
    instrumentation,
  });
  const pool = createEventStorePool({ connectionString: url, max: 2 });
  const db: SchedulingDb = new Kysely<SchedulingSchema>({
    dialect: new PostgresDialect({ pool }),
    log: timer.log,
  });
  const log = pino({ level: process.env['BENCH_LOG_LEVEL'] ?? 'warn' }, pino.destination(2));
  const processor = new SchedulingProjection({ db, store });
  const host = new ProcessorHost({
    processor,
    store,
    db,
    log,
    connectionString: null,
    batchSize,
    instrumentation,
  });
  try {
    await meters?.start();
    timer.start();
    const started = performance.now();
    const show = everySecond(() => {
      const s = (performance.now() - started) / 1000;
      const rate = host.position / s;
      progress.update(
        `replay: ${host.position.toLocaleString('en')} / ${head.toLocaleString('en')} (${Math.round(rate).toLocaleString('en')} events/s, ~${Math.ceil((head - host.position) / Math.max(rate, 1))} s left)`,
      );
    });
    while (host.position < head && !signal.aborted) {
      await host.tick();
      if (!host.active) throw new Error('the projection is running elsewhere (its lease is held)');
      show();
    }
    const ms = performance.now() - started;
    timer.stop();
    await meters?.stop(await postgresPids(db).catch(() => undefined));
    progress.done();
    await host.stop();
    const seen = await telemetry.totals();
    const read = seen.histogram(EVENT_STORE_METRICS.readDuration, {
      [EVENT_STORE_ATTRIBUTES.readKind]: 'all',
    });
    const batches = seen.histogram(PROCESSOR_METRICS.batchDuration);
    const outcome = (o: string) =>
      seen.sum(PROCESSOR_METRICS.events, { [PROCESSOR_ATTRIBUTES.outcome]: o });
    return {
      events: host.position,
      seconds: ms / 1000,
      perSecond: (host.position * 1000) / ms,
      batchSize,
      read: { calls: read.count, ms: read.sum * 1000 },
      batches: {
        count: batches.count,
        ms: batches.sum * 1000,
        p50Ms: batches.p50 * 1000,
        p99Ms: batches.p99 * 1000,
      },
      handled: outcome('handled'),
      skipped: outcome('skipped'),
      parked: outcome('parked'),
      statements: timer.totals(),
      meters: meters?.result ?? { cpu: null, profile: null },
    };
  } finally {
    await host.stop().catch(() => {});
    await store.close();
    await db.destroy();
    await telemetry.shutdown();
  }
}
