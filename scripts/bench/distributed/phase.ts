/**
 * The distributed topology: projection, dispatcher and 1, 2, 3 … executors as separate OS
 * processes (`node --import tsx services/<name>/src/main.ts`, as `npm run <service>` starts
 * them) over Redis and Postgres. Per executor count, on a fresh database and BullMQ prefix:
 *
 *   1. lateness — `rate` runs/s offered (slots spread evenly): slot → HTTP call start from the
 *      runs read model, as the embedded lateness phase reads it;
 *   2. throughput — `endpoints` more on the smallest interval, all due at once, on top: the
 *      pipeline saturated; ResponseRecorded appended per second, CPU and memory per process.
 *
 * The figures come from the log and the read models (the processes are not instrumented by the
 * bench), and /proc for CPU and memory.
 */
import { availableParallelism } from 'node:os';
import { createPostgresEventStore, migrateDatabase } from '@orrery/event-store';
import { createSchedulingDb, schedulingMigrations } from '@orrery/scheduling';
import { uniquePrefix } from '@orrery/testkit';
import { sql } from 'kysely';
import { ServiceGroup, type ServiceProcess } from '../../../test/support/service-process.js';
import type { BenchConfig } from '../config.js';
import { CpuMeter, processUsage } from '../cpu.js';
import { createBenchDatabase, deleteBenchKeys } from '../infra.js';
import { bySecond } from '../orrery/by-second.js';
import { offerRate, registerEndpoints, type LogAndReadModels } from '../orrery/endpoints.js';
import { postgresPids } from '../orrery/sampling.js';
import type { Progress } from '../progress.js';
import { summarize } from '../stats.js';
import { sleep, waitUntil, withTimeout } from '../time.js';
import { measureWindow } from '../window.js';
import { serviceProfiles, type ServiceProfiles } from './profiles.js';
import type { DistributedPoint, DistributedResult, ProcessFigures } from './result.js';

/** Six `tsx` processes starting at once on two busy cores took 40-50 s in the e2e tier. */
const READY_MS = 120_000;

export async function runDistributed(
  cfg: BenchConfig,
  adminUrl: string,
  targetUrl: string,
  progress: Progress,
  signal: AbortSignal,
): Promise<DistributedResult> {
  const points: DistributedPoint[] = [];
  for (const executors of cfg.distributedExecutors) {
    if (signal.aborted) break;
    progress.log(`  ${executors} executor process${executors === 1 ? '' : 'es'}:`);
    points.push(await runPoint(cfg, executors, adminUrl, targetUrl, progress, signal));
  }
  const best = points.reduce<DistributedPoint | null>(
    (a, b) => (a === null || b.throughput.runsPerSecond > a.throughput.runsPerSecond ? b : a),
    null,
  );
  return {
    seconds: cfg.seconds,
    warmupSeconds: cfg.warmupSeconds,
    latenessWarmupSeconds: cfg.distributedWarmupSeconds,
    points,
    best: best && { executors: best.executors, runsPerSecond: best.throughput.runsPerSecond },
  };
}

/** A running topology: its processes, and the bench's own connections to its log and read models. */
export interface Topology {
  readonly processes: readonly ServiceProcess[];
  readonly models: LogAndReadModels;
  /** Spawn → every process ready, ms. */
  readonly startMs: number;
}

/**
 * Runs `fn` against the topology with `executors` executor processes on a fresh database and
 * BullMQ prefix; stops the processes and drops both afterwards, whatever happened. `env` is added
 * to every process's environment (the soak's memory probe).
 */
export async function withTopology<T>(
  cfg: BenchConfig,
  executors: number,
  adminUrl: string,
  label: string,
  progress: Progress,
  fn: (topology: Topology) => Promise<T>,
  env: Readonly<Record<string, string>> = {},
): Promise<T> {
  const database = await createBenchDatabase(adminUrl, label);
  const prefix = uniquePrefix(`bench-${label}`);
  const services = new ServiceGroup();
  const store = createPostgresEventStore({ connectionString: database.url, maxConnections: 2 });
  const db = createSchedulingDb({ connectionString: database.url, max: 2 });
  try {
    await migrateDatabase(database.url, undefined, schedulingMigrations);
    const spawnedAt = Date.now();
    const processes = startTopology(services, cfg, executors, {
      ...env,
      DATABASE_URL: database.url,
      REDIS_URL: cfg.redisUrl,
      QUEUE_PREFIX: prefix,
    });
    await Promise.all(processes.map((p) => p.ready));
    const startMs = Date.now() - spawnedAt;
    progress.log(`    ${processes.length} processes ready in ${(startMs / 1000).toFixed(1)} s`);
    return await fn({ processes, models: { store, db }, startMs });
  } finally {
    await services.stopAll(15_000);
    await withTimeout(store.close(), 10_000, 'closing the bench store').catch(() => {});
    await withTimeout(db.destroy(), 10_000, 'closing the bench read models').catch(() => {});
    await deleteBenchKeys(prefix, cfg.redisUrl).catch(() => 0);
    await database.drop();
  }
}

async function runPoint(
  cfg: BenchConfig,
  executors: number,
  adminUrl: string,
  targetUrl: string,
  progress: Progress,
  signal: AbortSignal,
): Promise<DistributedPoint> {
  const profiles = cfg.profile ? await serviceProfiles() : undefined;
  try {
    return await withTopology(
      cfg,
      executors,
      adminUrl,
      `distributed_${executors}`,
      progress,
      async ({ processes, models, startMs }) => {
        const lateness = await measureLateness(cfg, models, targetUrl, progress, signal);
        const throughput = await measureThroughput(
          cfg,
          models,
          processes,
          targetUrl,
          progress,
          signal,
          profiles,
        );
        return { executors, startMs, lateness, throughput };
      },
      profiles?.env,
    );
  } finally {
    await profiles?.close();
  }
}

/** The compose topology's scheduling part: one projection (every processor), one dispatcher, N executors. */
function startTopology(
  services: ServiceGroup,
  cfg: BenchConfig,
  executors: number,
  shared: Record<string, string>,
): ServiceProcess[] {
  const env = { ...shared, LOG_LEVEL: 'info', LOG_FORMAT: 'json' };
  const start = (service: 'projection' | 'dispatcher' | 'executor', label: string, extra = {}) =>
    services.start({ service, label, env: { ...env, ...extra }, readyTimeoutMs: READY_MS });
  return [
    start('projection', 'projection'),
    start('dispatcher', 'dispatcher', {
      DISPATCH_BATCH_SIZE: String(cfg.batchSize),
      DISPATCH_AHEAD_MS: String(cfg.dispatchAheadMs),
    }),
    ...Array.from({ length: executors }, (_, i) =>
      start('executor', `executor-${i + 1}`, {
        EXECUTOR_CONCURRENCY: String(cfg.concurrency),
        EXECUTOR_ID: `executor-${i + 1}`,
        ALLOW_LOOPBACK: 'true',
      }),
    ),
  ];
}

/** `rate` runs/s offered, slots spread over one interval; slot → call start of the window's slots. */
async function measureLateness(
  cfg: BenchConfig,
  models: LogAndReadModels,
  targetUrl: string,
  progress: Progress,
  signal: AbortSignal,
): Promise<DistributedPoint['lateness']> {
  const { everyMs, endpoints, firstSlot } = await offerRate(cfg, models, targetUrl, signal);
  const answered = answeredCounter(models);
  const window = await measureWindow({
    label: 'dist lat',
    warmupMs: Math.max(0, firstSlot - Date.now()) + cfg.distributedWarmupSeconds * 1000,
    windowMs: cfg.seconds * 1000,
    signal,
    progress,
    status: async () => `answered ${await answered()}/s`,
  });
  const slotsOffered = Math.round(endpoints * ((window.end - window.start) / everyMs));
  // Until the read model holds the window's calls (the pipeline keeps running meanwhile).
  const starts = async () => {
    const { rows } = await sql<{ start_ms: number }>`
      select extract(epoch from started_at - scheduled_for) * 1000 as start_ms
      from runs /* bench */
      where scheduled_for >= ${new Date(window.start)} and scheduled_for < ${new Date(window.end)}
        and started_at is not null`.execute(models.db);
    return rows.map((r) => Number(r.start_ms));
  };
  await waitUntil(async () => (await starts()).length >= slotsOffered, {
    timeoutMs: 15_000,
    everyMs: 250,
    signal,
  });
  const started = await starts();
  // Every slot from the first, the warm-up's too: how the start settled into the steady load.
  const { rows: fromFirstSlot } = await sql<{ start_ms: number | null; slot_ms: number }>`
    select extract(epoch from started_at - scheduled_for) * 1000 as start_ms,
      extract(epoch from scheduled_for) * 1000 as slot_ms
    from runs /* bench */
    where scheduled_for >= ${new Date(firstSlot)} and scheduled_for < ${new Date(window.end)}
      and endpoint_id like 'b%'`.execute(models.db);
  return {
    offeredPerSecond: (endpoints * 1000) / everyMs,
    endpoints,
    slotsOffered,
    callsStarted: started.length,
    callStart: summarize(started),
    earlyCalls: started.filter((ms) => ms < 0).length,
    windowStartSecond: Math.floor((window.start - firstSlot) / 1000),
    bySecond: bySecond(firstSlot, fromFirstSlot),
  };
}

/** The lateness load plus `endpoints` due at once every `everyMs`: runs/s, CPU and memory per process. */
async function measureThroughput(
  cfg: BenchConfig,
  models: LogAndReadModels,
  processes: readonly ServiceProcess[],
  targetUrl: string,
  progress: Progress,
  signal: AbortSignal,
  profiles: ServiceProfiles | undefined,
): Promise<DistributedPoint['throughput']> {
  const at = Date.now();
  progress.log(`    registering ${cfg.endpoints} endpoints every ${cfg.everyMs} ms on top…`);
  await registerEndpoints(models, targetUrl, cfg.endpoints, cfg.everyMs, () => at, signal, {
    prefix: 'x',
  });
  const usage = () => Promise.all(processes.map((p) => processUsage(p.pid)));
  const pids = processes.map((p) => p.pid);
  let before: Awaited<ReturnType<typeof usage>> = [];
  let after: Awaited<ReturnType<typeof usage>> = [];
  // The rest of the machine in the same window: Postgres (the bench database's backends and the
  // server's background processes), Redis, this process (the loopback target's thread and the
  // bench's own reads) and the whole machine.
  const servers = new CpuMeter(availableParallelism());
  let serversReport: Awaited<ReturnType<CpuMeter['stop']>> | null = null;
  const answered = answeredCounter(models);
  const window = await measureWindow({
    label: 'dist max',
    warmupMs: cfg.warmupSeconds * 1000,
    windowMs: cfg.seconds * 1000,
    signal,
    progress,
    status: async () => `answered ${await answered()}/s`,
    onWindowStart: async () => {
      profiles?.start(pids);
      await servers.start();
      before = await usage();
    },
    onWindowEnd: async () => {
      after = await usage();
      serversReport = await servers.stop(await postgresPids(models).catch(() => undefined));
    },
  });
  const profiled = profiles
    ? await profiles.collect(
        pids,
        processes.map((p) => p.label),
      )
    : [];
  if (profiles && profiled.some((p) => p !== null)) {
    progress.log(`    CPU profiles of the services (Chrome DevTools): ${profiles.dir}`);
  }
  await sleep(500, signal); // appends stamped inside the window are committed by now
  const { rows } = await sql<{ n: number }>`
    select count(*)::int as n from events /* bench */
    where type = 'ResponseRecorded'
      and recorded_at >= ${new Date(window.start)} and recorded_at < ${new Date(window.end)}`.execute(
    models.db,
  );
  const figures = processes.map((p, i): ProcessFigures => {
    const [a, b] = [before[i], after[i]];
    return {
      label: p.label,
      cpuPct: a && b ? ((b.cpuMs - a.cpuMs) / (window.end - window.start)) * 100 : null,
      rssMb: { start: a?.rssMb ?? null, end: b?.rssMb ?? null },
      profile: profiled[i] ?? null,
    };
  });
  return {
    endpoints: cfg.endpoints,
    everyMs: cfg.everyMs,
    runsPerSecond: (rows[0]?.n ?? 0) / window.seconds,
    ratio: null, // set against the baseline once every phase has run
    processes: figures,
    servers: serversReport,
  };
}

/**
 * The status line's count, once a second: ResponseRecorded appended since the previous call (0 on
 * the first). A range of the primary key from where the last call stopped — positions commit in
 * order — not the whole log filtered by `recorded_at`, which has no index: that took 35–41 ms of
 * Postgres a second inside the measured window, and longer as the log grew.
 */
function answeredCounter(models: LogAndReadModels): () => Promise<number> {
  let after: number | null = null;
  return async () => {
    if (after === null) {
      const { rows } = await sql<{ head: string }>`
        select coalesce(max(position), 0) as head from events /* bench */`.execute(models.db);
      after = Number(rows[0]?.head ?? 0);
      return 0;
    }
    const { rows } = await sql<{ n: number; head: string | null }>`
      select count(*) filter (where type = 'ResponseRecorded')::int as n, max(position) as head
      from events /* bench */ where position > ${after}`.execute(models.db);
    const head = rows[0]?.head;
    if (head !== null && head !== undefined) after = Number(head);
    return rows[0]?.n ?? 0;
  };
}
