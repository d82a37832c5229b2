/**
 * Replay rate: how fast `npm run replay` rebuilds the read models from the log, against reading
 * the log, and against the live projection catching up.
 *
 *   1. generate — BENCH_REPLAY_EVENTS (1 000 000) events into a fresh database through the
 *      event store (see generate.ts and simulation.ts: 10 000 endpoints' histories), then
 *      `VACUUM (ANALYZE) events`, as autovacuum leaves a log that has been written a while.
 *   2. baselines — the whole log read from position 0: raw SQL rows in batches of
 *      BENCH_REPLAY_BATCH, their decoding alone, the store's `readAll`, and the replay's own
 *      reader (read-baseline.ts).
 *   3. replay — `replay({ swap: true })` from position 0 (the headline, with CPU per process),
 *      then the read models are checked against the log; then `replay({ verify: true })`, which
 *      checks every event and must find no difference with the first (replay-pass.ts).
 *   4. projection — the SchedulingProjection through a ProcessorHost from position 0 on emptied
 *      read models, over the first BENCH_REPLAY_PROJECTION_EVENTS (100 000) events: what the
 *      live projection's catch-up costs, with where its time goes (rebuild.ts).
 *
 * Needs no Redis. The database is dropped at the end.
 */
import { createPostgresEventStore, migrateDatabase } from '@orrery/event-store';
import { replayedTables, schedulingMigrations } from '@orrery/scheduling';
import pg from 'pg';
import type { BenchConfig } from '../config.js';
import { createBenchDatabase } from '../infra.js';
import type { PhaseMeters } from '../meters.js';
import type { Progress } from '../progress.js';
import { generateEvents } from './generate.js';
import { readBaselines } from './read-baseline.js';
import { rebuild } from './rebuild.js';
import { replayPass } from './replay-pass.js';
import {
  projectionBreakdownOf,
  replayBreakdownOf,
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

const rate = (n: number) => Math.round(n).toLocaleString('en');

/** Events the projection's catch-up covers (BENCH_REPLAY_PROJECTION_EVENTS, default 100 000). */
function projectionEvents(): number {
  const raw = process.env['BENCH_REPLAY_PROJECTION_EVENTS'];
  const n = raw === undefined ? 100_000 : Number(raw);
  if (!Number.isInteger(n) || n < 1_000) {
    throw new Error(`BENCH_REPLAY_PROJECTION_EVENTS=${raw}: expected a whole number ≥ 1000`);
  }
  return n;
}

/** Empties the read models and the projection's checkpoint, for the projection to start at 0. */
async function emptyReadModels(url: string): Promise<void> {
  await withClient(url, async (c) => {
    for (const table of replayedTables) await c.query(`delete from ${table}`);
    await c.query(`delete from parked_streams`);
    await c.query(`delete from processor_checkpoints where name = 'scheduling'`);
  });
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
      `  read from 0: raw SQL ${rate(baselines.raw.perSecond)} rows/s (batches of ${cfg.replayBatch}), decoding alone ${rate(baselines.decode.perSecond)} events/s, readAll ${rate(baselines.readAll.perSecond)} events/s, the replay's reader ${rate(baselines.replayRead.perSecond)} events/s`,
    );
    const first = await replayPass(url, { verify: false, swap: true }, progress, meters);
    if (signal.aborted) return null;
    const checks = await check(url, generated.endpoints);
    progress.log(
      `  replayed in ${first.seconds.toFixed(1)} s: ${rate(first.perSecond)} events/s · read models ${checks.ok ? 'match the log' : 'DO NOT match the log'}`,
    );
    const verify = await replayPass(url, { verify: true, swap: false }, progress, null);
    if (signal.aborted) return null;
    progress.log(
      `  replay --verify in ${verify.seconds.toFixed(1)} s: ${rate(verify.perSecond)} events/s · ${verify.differences} differences with the first`,
    );
    const oneThread = await replayPass(
      url,
      { verify: false, swap: false, workers: 0 },
      progress,
      null,
    );
    if (signal.aborted) return null;
    progress.log(
      `  replay on one thread in ${oneThread.seconds.toFixed(1)} s: ${rate(oneThread.perSecond)} events/s · ${oneThread.differences} differences with the first`,
    );
    await emptyReadModels(url);
    const prefix = Math.min(head, projectionEvents());
    const projection = await rebuild(url, cfg.replayBatch, prefix, null, progress, signal);
    if (signal.aborted) return null;
    progress.log(
      `  the projection caught up ${prefix.toLocaleString('en')} events in ${projection.seconds.toFixed(1)} s: ${rate(projection.perSecond)} events/s`,
    );
    return {
      server,
      generated,
      baselines,
      replay: first,
      verify,
      oneThread,
      projection,
      breakdown: replayBreakdownOf(first),
      projectionBreakdown: projectionBreakdownOf(projection, baselines),
      ratio: {
        toReplayRead: first.perSecond / baselines.replayRead.perSecond,
        toReadAll: first.perSecond / baselines.readAll.perSecond,
        toRawRows: first.perSecond / baselines.raw.perSecond,
        toProjection: first.perSecond / projection.perSecond,
        toOneThread: first.perSecond / oneThread.perSecond,
      },
      checks: {
        ...checks,
        ok: checks.ok && verify.differences === 0 && oneThread.differences === 0 && first.swapped,
      },
      goal: {
        eventsPerSecond: REPLAY_GOAL_EVENTS_PER_SECOND,
        met: first.perSecond >= REPLAY_GOAL_EVENTS_PER_SECOND,
      },
    };
  } finally {
    await database.drop();
  }
}
