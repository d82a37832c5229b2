/**
 * Log: how reads scale as ONE database's log grows to millions of events (BENCH_LOG_EVENTS,
 * default 1 000 000, 3 000 000, 10 000 000). On a fresh database with the event store's
 * migrations (every index, constraint and trigger of `events`):
 *
 *   1. seed — BENCH_LOG_SEED (100 000) events through `appendMany` by the replay phase's generator
 *      (1 000 endpoints in 100 jobs of 10 tenants), the realistic rows every copy is made from;
 *   2. per step — the log grown to the step's size in SQL (grow.ts: cohorts of the seed's endpoint
 *      and job streams, ~10⁵ events/s rather than the append path's ~10⁴), `VACUUM (ANALYZE)`
 *      as autovacuum would, the sizes (bytes per event, table and each index), then each read
 *      of reads.ts sampled (up to READ_SAMPLES calls or READ_BUDGET_MS, after WARM_UP calls);
 *   3. flatness — each read's p99 at the last step over the first (goal ≤ 2×).
 *
 * The dispatcher's claim is not here: it reads the `schedule` read model only (a row per
 * endpoint), never the log; the scale phase measures it by endpoint count. Needs no Redis. The
 * database is dropped at the end (10 M events take ~10 GB).
 */
import { statfs } from 'node:fs/promises';
import { eventTypes, type EventType } from '@orrery/domain';
import {
  createEventStoreDb,
  createEventStorePool,
  createPostgresEventStore,
  migrateDatabase,
} from '@orrery/event-store';
import pg from 'pg';
import type { BenchConfig } from '../config.js';
import { createBenchDatabase } from '../infra.js';
import type { Progress } from '../progress.js';
import { generateEvents } from '../replay/generate.js';
import { DEFAULT_GENERATOR } from '../replay/world.js';
import { summarize, type Summary } from '../stats.js';
import { growTo, makeTemplate, wholeCohorts, type Template } from './grow.js';
import { logReads, type LogNow, type LogRead, type SeedWorld } from './reads.js';
import { flatnessOf, goalOf, type LogResult, type LogSizes, type LogStep } from './result.js';

const SEED_ENDPOINTS = 1_000;
const WARM_UP = 3;
const READ_SAMPLES = 200;
const READ_BUDGET_MS = 5_000;
const MIN_SAMPLES = 5;
/** Bytes a logged event takes on disk while growing (row, indexes, WAL not yet recycled). */
const DISK_BYTES_PER_EVENT = 1_500;

const fmt = (n: number) => Math.round(n).toLocaleString('en');

function seedEvents(): number {
  const raw = process.env['BENCH_LOG_SEED'];
  const n = raw === undefined || raw.trim() === '' ? 100_000 : Number(raw);
  if (!Number.isInteger(n) || n < 10_000 || n > 1_000_000) {
    throw new Error(`BENCH_LOG_SEED=${raw}: expected a whole number from 10000 to 1000000`);
  }
  return n;
}

export async function runLog(
  cfg: BenchConfig,
  adminUrl: string,
  progress: Progress,
  signal: AbortSignal,
): Promise<LogResult | null> {
  const database = await createBenchDatabase(adminUrl, 'log');
  const client = new pg.Client({
    connectionString: database.url,
    application_name: 'orrery-bench',
  });
  let connected = false;
  try {
    await migrateDatabase(database.url);
    await client.connect();
    connected = true;
    const largest = Math.max(...cfg.logEvents);
    await checkDisk(client, largest, progress);
    // The growth statements commit big transactions: waiting for each flush buys nothing here.
    await client.query('set synchronous_commit = off');

    const writer = createPostgresEventStore({ connectionString: database.url, maxConnections: 2 });
    const options = { ...DEFAULT_GENERATOR, endpoints: SEED_ENDPOINTS, events: seedEvents() };
    const generated = await generateEvents(writer, options, progress, signal).finally(() =>
      writer.close(),
    );
    if (signal.aborted) return null;
    const template = await makeTemplate(client);
    const world = await seedWorld(client);
    progress.log(
      `  seed: ${fmt(generated.events)} events through appendMany in ${generated.seconds.toFixed(1)} s (${fmt(generated.eventsPerSecond)}/s): ${generated.endpoints} endpoints, ${generated.jobs} jobs, ${generated.tenants} tenants; a cohort copies ${fmt(template.rows)} of them`,
    );

    const store = createPostgresEventStore({ connectionString: database.url, maxConnections: 2 });
    const db = createEventStoreDb(createEventStorePool({ connectionString: database.url, max: 2 }));
    const steps: LogStep[] = [];
    try {
      const reads = logReads(store, db, world, generated.seed);
      for (const target of [...cfg.logEvents].sort((a, b) => a - b)) {
        if (signal.aborted) break;
        steps.push(await runStep(client, template, target, reads, progress, signal));
      }
    } finally {
      await store.close();
      await db.destroy();
    }
    if (signal.aborted) return null;
    const flatness = flatnessOf(steps);
    return {
      seed: {
        events: generated.events,
        seconds: generated.seconds,
        eventsPerSecond: generated.eventsPerSecond,
        endpoints: generated.endpoints,
        jobs: generated.jobs,
        tenants: generated.tenants,
        rowsPerCohort: template.rows,
        byType: generated.byType,
      },
      steps,
      flatness,
      goal: goalOf(flatness),
      totalGrowSeconds: steps.reduce((s, step) => s + step.growSeconds, 0),
    };
  } finally {
    if (connected) await client.end();
    await database.drop();
  }
}

async function runStep(
  client: pg.Client,
  template: Template,
  target: number,
  reads: readonly LogRead[],
  progress: Progress,
  signal: AbortSignal,
): Promise<LogStep> {
  const grown = await growTo(client, template, target, progress, signal);
  progress.update(`${fmt(target)} events: VACUUM (ANALYZE) events…`);
  const vacuumStarted = performance.now();
  await client.query('vacuum (analyze) events');
  const vacuumSeconds = (performance.now() - vacuumStarted) / 1000;
  const sizes = await sizesOf(client);
  const { rows } = await client.query<{ head: string; last: Date }>(
    'select max(position) as head, max(recorded_at) as last from events',
  );
  const head = Number(rows[0]?.head ?? 0);
  const now: LogNow = {
    head,
    cohorts: wholeCohorts(template, head),
    lastRecordedAt: rows[0]?.last.getTime() ?? Date.now(),
  };
  const summaries: Record<string, Summary> = {};
  for (const read of reads) {
    if (signal.aborted) break;
    progress.update(`${fmt(head)} events: ${read.name}…`);
    summaries[read.name] = await sample(read, now);
  }
  progress.log(
    `  ${fmt(head)} events: grown in ${grown.seconds.toFixed(1)} s (${fmt(grown.inserted / Math.max(grown.seconds, 1e-3))}/s), vacuumed in ${vacuumSeconds.toFixed(1)} s, ${sizes.bytesPerEvent.toFixed(0)} B/event (${(sizes.totalBytes / 1e9).toFixed(2)} GB)`,
  );
  return {
    events: head,
    cohorts: now.cohorts,
    growSeconds: grown.seconds,
    growEventsPerSecond: grown.inserted / Math.max(grown.seconds, 1e-3),
    vacuumSeconds,
    sizes,
    reads: summaries,
  };
}

/**
 * WARM_UP calls (one when it takes over a second), then calls in turn until READ_SAMPLES or
 * READ_BUDGET_MS, at least MIN_SAMPLES: a read that scans the log takes seconds at 10 M events,
 * and its p99 is then the max of a few.
 */
async function sample(read: LogRead, now: LogNow): Promise<Summary> {
  for (let i = 0; i < WARM_UP; i++) {
    const start = performance.now();
    await read.run(now);
    if (performance.now() - start > 1_000) break;
  }
  const ms: number[] = [];
  const started = performance.now();
  while (
    ms.length < READ_SAMPLES &&
    (ms.length < MIN_SAMPLES || performance.now() - started < READ_BUDGET_MS)
  ) {
    const start = performance.now();
    await read.run(now);
    ms.push(performance.now() - start);
  }
  return summarize(ms);
}

async function sizesOf(client: pg.Client): Promise<LogSizes> {
  const { rows } = await client.query<{ name: string; bytes: number }>(`
    select 'total' as name, pg_total_relation_size('events')::float8 as bytes
    union all select 'table', pg_table_size('events')::float8
    union all select 'count', (select count(*) from events)::float8
    union all select c.relname, pg_relation_size(c.oid)::float8
      from pg_index i join pg_class c on c.oid = i.indexrelid
      where i.indrelid = 'events'::regclass`);
  const of = (name: string) => rows.find((r) => r.name === name)?.bytes ?? 0;
  const events = Math.max(1, of('count'));
  const indexes = rows.filter((r) => !['total', 'table', 'count'].includes(r.name));
  return {
    bytesPerEvent: of('total') / events,
    tableBytesPerEvent: of('table') / events,
    indexBytesPerEvent: indexes.reduce((s, r) => s + r.bytes, 0) / events,
    byIndex: Object.fromEntries(indexes.map((r) => [r.name, r.bytes / events])),
    totalBytes: of('total'),
  };
}

/** The seed's endpoints, jobs and tenants, and a rare type for the filtered page. */
async function seedWorld(client: pg.Client): Promise<SeedWorld> {
  const registered = await client.query<{ tenant: string; endpoint: string; job: string }>(`
    select tenant_id as tenant, data ->> 'endpointId' as endpoint, data ->> 'jobId' as job
    from log_template where type = 'EndpointRegistered' order by ord`);
  const endpoints = registered.rows.map((r) => ({ tenantId: r.tenant, endpointId: r.endpoint }));
  const jobs = [...new Map(registered.rows.map((r) => [`${r.tenant}/${r.job}`, r])).values()].map(
    (r) => ({ tenantId: r.tenant, jobId: r.job }),
  );
  const tenants = [...new Set(endpoints.map((e) => e.tenantId))];
  const types = await client.query<{ type: string; n: number }>(`
    select type, count(*)::int as n from log_template group by type order by n, type`);
  // The planner's refused proposals, an audit read users make; else the rarest type with some.
  const rare = types.rows.some((r) => r.type === 'HintRejected' && r.n >= tenants.length)
    ? 'HintRejected'
    : types.rows.find((r) => r.n >= 10 * tenants.length)?.type;
  const rareType = eventTypes.find((t) => t === rare) ?? 'RunSkipped';
  if (endpoints.length === 0) throw new Error('the seed registered no endpoint');
  return { endpoints, jobs, tenants, rareType: rareType satisfies EventType };
}

/** Refuses to start when the data directory's disk cannot hold the largest log (when it can tell). */
async function checkDisk(client: pg.Client, events: number, progress: Progress): Promise<void> {
  const need = events * DISK_BYTES_PER_EVENT;
  const dir = await client
    .query<{ dir: string }>("select current_setting('data_directory') as dir")
    .then((r) => r.rows[0]?.dir)
    .catch(() => undefined);
  const stats = dir ? await statfs(dir).catch(() => undefined) : undefined;
  if (!stats) {
    progress.log(
      `  note: cannot see the server's disk; the largest log needs ~${fmt(need / 1e9)} GB`,
    );
    return;
  }
  const free = stats.bavail * stats.bsize;
  if (free < need * 1.2) {
    throw new Error(
      `the log phase needs ~${(need / 1e9).toFixed(0)} GB for ${fmt(events)} events; ${(free / 1e9).toFixed(0)} GB free under ${dir}`,
    );
  }
  progress.log(
    `  disk: ${(free / 1e9).toFixed(0)} GB free under the server's data directory; ~${(need / 1e9).toFixed(0)} GB needed at most`,
  );
}
