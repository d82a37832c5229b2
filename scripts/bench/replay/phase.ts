/**
 * Replay rate: how fast the read models are rebuilt from the log, against reading the log.
 *
 *   1. generate — BENCH_REPLAY_EVENTS (1 000 000) events into a fresh database through the
 *      event store (see generate.ts and simulation.ts: 10 000 endpoints' histories), then
 *      `VACUUM (ANALYZE) events`, as autovacuum leaves a log that has been written a while.
 *   2. baselines — the whole log read from position 0 in batches of BENCH_REPLAY_BATCH: raw SQL
 *      rows, their decoding alone, and the store's `readAll` (read-baseline.ts).
 *   3. rebuild — the SchedulingProjection through a ProcessorHost from position 0 on empty read
 *      models, timed, with CPU per process (and a profile with BENCH_PROFILE=1) and where the
 *      time went (rebuild.ts, result.ts); then the read models are checked against the log.
 *
 * Needs no Redis. The database is dropped at the end.
 */
import { createPostgresEventStore, migrateDatabase } from '@orrery/event-store';
import { schedulingMigrations } from '@orrery/scheduling';
import pg from 'pg';
import type { BenchConfig } from '../config.js';
import { createBenchDatabase } from '../infra.js';
import type { PhaseMeters } from '../meters.js';
import type { Progress } from '../progress.js';
import { generateEvents } from './generate.js';
import { readBaselines } from './read-baseline.js';
import { rebuild } from './rebuild.js';
import {
  breakdownOf,
  REPLAY_GOAL_EVENTS_PER_SECOND,
  type ReplayChecks,
  type ReplayResult,
  type ServerSettings,
} from './result.js';
import { DEFAULT_GENERATOR } from './world.js';

async function withClient<T>(url: string, fn: (client: pg.Client) => Promise<T>): Promise<T> {
  const client = new pg.Client({ connectionString: url, application_name: 'orrery-bench' });
  await client.connect();
  try {
    return await fn(client);
  } finally {
    await client.end();
  }
}

async function settings(url: string): Promise<ServerSettings> {
  return withClient(url, async (c) => {
    const { rows } = await c.query<{ name: string; value: string }>(`
      select name, current_setting(name) as value from unnest(array['autovacuum',
        'shared_buffers', 'synchronous_commit', 'work_mem']) as name`);
    const of = (name: string) => rows.find((r) => r.name === name)?.value ?? '?';
    return {
      autovacuum: of('autovacuum'),
      sharedBuffers: of('shared_buffers'),
      synchronousCommit: of('synchronous_commit'),
      workMem: of('work_mem'),
    };
  });
}

/** Counts in the read models, and what the log says they should be. */
async function check(url: string, endpoints: number): Promise<ReplayChecks> {
  return withClient(url, async (c) => {
    const { rows } = await c.query<Record<string, number>>(`
      select
        (select count(*)::int from schedule) as schedule_rows,
        (select count(*)::int from runs) as run_rows,
        (select count(*)::int from conflicts) as conflict_rows,
        (select count(*)::int from parked_streams) as parked,
        (select count(*)::int from events where type = 'HintRejected') as hint_rejected,
        (select count(*)::int from (
           select distinct stream_id, data->>'runId' from events where type = 'RunDispatched'
           union all
           select stream_id, data->>'runId' from events
           where type = 'ResponseRecorded' and (data->>'test')::boolean) r) as runs_in_log`);
    const row = rows[0] ?? {};
    const n = (key: string) => row[key] ?? -1;
    const checks = {
      scheduleRows: n('schedule_rows'),
      endpoints,
      runRows: n('run_rows'),
      runsInLog: n('runs_in_log'),
      conflictRows: n('conflict_rows'),
      hintRejected: n('hint_rejected'),
      parkedStreams: n('parked'),
    };
    const ok =
      checks.scheduleRows === endpoints &&
      checks.runRows === checks.runsInLog &&
      checks.conflictRows === checks.hintRejected &&
      checks.parkedStreams === 0;
    return { ...checks, ok };
  });
}

export async function runReplay(
  cfg: BenchConfig,
  adminUrl: string,
  progress: Progress,
  meters: PhaseMeters,
  signal: AbortSignal,
): Promise<ReplayResult | null> {
  const database = await createBenchDatabase(adminUrl, 'replay');
  try {
    const { url } = database;
    await migrateDatabase(url, undefined, schedulingMigrations);
    const server = await settings(url);
    if (server.autovacuum !== 'on') {
      progress.log(
        `  note: autovacuum is ${server.autovacuum} on this server: the rows the rebuild rewrites stay dead, which slows it`,
      );
    }
    const writer = createPostgresEventStore({ connectionString: url, maxConnections: 2 });
    const options = { ...DEFAULT_GENERATOR, events: cfg.replayEvents };
    const generated = await generateEvents(writer, options, progress, signal).finally(() =>
      writer.close(),
    );
    if (signal.aborted) return null;
    progress.log(
      `  generated ${generated.events.toLocaleString('en')} events in ${generated.seconds.toFixed(0)} s (${Math.round(generated.eventsPerSecond).toLocaleString('en')}/s): ${generated.endpoints} endpoints, ${generated.jobs} jobs, ${generated.tenants} tenants, ${generated.edges} edges, ${generated.historyHours.toFixed(1)} h of history`,
    );
    await withClient(url, (c) => c.query('vacuum (analyze) events'));
    const head = generated.events;
    const baselines = await readBaselines(url, cfg.replayBatch, head, progress);
    progress.log(
      `  read from 0 in batches of ${cfg.replayBatch}: raw SQL ${Math.round(baselines.raw.perSecond).toLocaleString('en')} rows/s, decoding alone ${Math.round(baselines.decode.perSecond).toLocaleString('en')} events/s, readAll ${Math.round(baselines.readAll.perSecond).toLocaleString('en')} events/s`,
    );
    const figures = await rebuild(url, cfg.replayBatch, head, meters, progress, signal);
    if (signal.aborted) return null;
    const checks = await check(url, generated.endpoints);
    progress.log(
      `  rebuilt in ${figures.seconds.toFixed(1)} s: ${Math.round(figures.perSecond).toLocaleString('en')} events/s · read models ${checks.ok ? 'match the log' : 'DO NOT match the log'}`,
    );
    return {
      server,
      generated,
      baselines,
      rebuild: figures,
      breakdown: breakdownOf(figures, baselines),
      ratio: {
        toReadAll: figures.perSecond / baselines.readAll.perSecond,
        toRawRows: figures.perSecond / baselines.raw.perSecond,
      },
      checks,
      goal: {
        eventsPerSecond: REPLAY_GOAL_EVENTS_PER_SECOND,
        met: figures.perSecond >= REPLAY_GOAL_EVENTS_PER_SECOND,
      },
    };
  } finally {
    await database.drop();
  }
}
