/**
 * Orrery's full pipeline (projection + dispatcher + executor over Postgres and
 * BullMQ), instrumented from the outside: the queue is wrapped, and the
 * runtime's store, projection and dispatcher get timing wrappers on their
 * instances (the libs are not changed). Per run, the executor's `onRecorded`
 * gives the timeline: slot → tick start → enqueued → call start → call end → recorded.
 */
import {
  endpointStream,
  makeEvent,
  toIso,
  type AppendOutcome,
  type AppendRequest,
  type ConsumeOptions,
  type Consumer,
  type JobPayload,
  type QueueName,
  type QueuePort,
  type QueuedJob,
  type ReceivedJob,
} from '@orrery/domain';
import { createQueue, type QueueErrorContext } from '@orrery/queue';
import { startRuntime, type Runtime } from '@orrery/scheduling';
import { uniquePrefix } from '@orrery/testkit';
import { sql } from 'kysely';
import pino from 'pino';
import type { BenchConfig } from './config.js';
import { createBenchDatabase, deleteBenchKeys } from './infra.js';
import type { PhaseMeters, WindowMeters } from './meters.js';
import type { Progress } from './progress.js';
import { SeriesMap, summarize, type Summary } from './stats.js';
import { sleep, waitUntil, withTimeout } from './time.js';
import { measureWindow } from './window.js';

/** Per-run stage names, in pipeline order. */
export const STAGES = {
  tickLag: 'slot → dispatcher tick start (runs.lateness_ms)',
  dispatchWork: 'tick start → job enqueued (claim, append, enqueue)',
  queueWait: 'enqueued → executor picks it up',
  call: 'HTTP call',
  record: 'call end → ResponseRecorded appended',
  enqueueLateness: 'slot → job enqueued',
  startLateness: 'slot → HTTP call starts',
  endToEnd: 'slot → ResponseRecorded appended',
} as const;

/** Counters and samples of one pipeline; samples count only inside the measured window. */
class PipelineStats {
  enqueued = 0;
  pickedUp = 0;
  recorded = 0;
  failedCalls = 0;
  redispatched = 0;
  ticks = 0;
  maxAppended = 0;
  maxProjected = 0;
  queueErrors = new Map<string, number>();
  /** Operation timings (ms) and batch sizes, in the window. */
  ops = new SeriesMap();
  /** Per-run stage durations (ms), for runs that belong to the window. */
  stages = new SeriesMap();
  /** Lateness of the last second, for the status line. */
  recentLateness: number[] = [];
  readonly enqueuedAt = new Map<string, number>();
  measuring = false;
  /** Which runs belong to the window. */
  inWindow: (scheduledFor: number, recordedAt: number) => boolean = () => false;

  op(name: string, value: number): void {
    if (this.measuring) this.ops.get(name).add(value);
  }

  resetWindow(): void {
    this.ops = new SeriesMap();
    this.stages = new SeriesMap();
  }
}

export interface OrreryPipeline {
  readonly runtime: Runtime;
  readonly stats: PipelineStats;
  readonly database: string;
  /** Stops everything and drops the database and keys (idempotent, bounded). */
  stop(): Promise<{ keysDeleted: number }>;
}

/** The queue port, timed: enqueue duration and size, pick-ups. */
class MeteredQueue implements QueuePort {
  constructor(
    private readonly inner: QueuePort,
    private readonly stats: PipelineStats,
  ) {}

  async enqueue<Q extends QueueName>(queue: Q, jobs: readonly QueuedJob<Q>[]): Promise<void> {
    const t0 = performance.now();
    await this.inner.enqueue(queue, jobs);
    const now = Date.now();
    this.stats.op('enqueue: addBulk ms', performance.now() - t0);
    this.stats.op('enqueue: jobs per addBulk', jobs.length);
    this.stats.enqueued += jobs.length;
    // Bounded: entries are removed when recorded; past the cap we stop noting.
    if (this.stats.enqueuedAt.size < 200_000) {
      for (const job of jobs) this.stats.enqueuedAt.set(job.id, now);
    }
  }

  consume<Q extends QueueName>(
    queue: Q,
    handler: (job: ReceivedJob<Q>) => Promise<void>,
    options?: ConsumeOptions,
  ): Consumer {
    return this.inner.consume(
      queue,
      (job) => {
        this.stats.pickedUp += 1;
        return handler(job);
      },
      options,
    );
  }

  close(): Promise<void> {
    return this.inner.close();
  }
}

type AppendEach = (requests: readonly AppendRequest[]) => Promise<readonly AppendOutcome[]>;

/**
 * EXPERIMENT `group-commit` (a simulation of a suggested lib fix): at most one
 * appendEach in flight; calls arriving meanwhile are merged into the next one
 * (up to `maxRequests`), so the ordering lock is taken once per group instead
 * of once per 2 ms batch, and waiting callers do not each hold a pool connection.
 */
export function singleFlight(appendEach: AppendEach, maxRequests = 1000): AppendEach {
  interface Call {
    readonly requests: readonly AppendRequest[];
    readonly resolve: (outcomes: readonly AppendOutcome[]) => void;
    readonly reject: (error: unknown) => void;
  }
  let pending: Call[] = [];
  let running = false;
  const drain = async () => {
    running = true;
    while (pending.length > 0) {
      const group: Call[] = [];
      let size = 0;
      for (const call of pending) {
        if (group.length > 0 && size + call.requests.length > maxRequests) break;
        group.push(call);
        size += call.requests.length;
      }
      pending = pending.slice(group.length);
      try {
        const outcomes = await appendEach(group.flatMap((c) => c.requests));
        let offset = 0;
        for (const call of group) {
          call.resolve(outcomes.slice(offset, offset + call.requests.length));
          offset += call.requests.length;
        }
      } catch (error) {
        for (const call of group) call.reject(error);
      }
    }
    running = false;
  };
  return (requests) =>
    new Promise((resolve, reject) => {
      pending.push({ requests, resolve, reject });
      if (!running) void drain();
    });
}

/** Wraps instance methods of the runtime's parts with timers (bench only). */
function instrument(runtime: Runtime, stats: PipelineStats, groupCommit: boolean): void {
  const store = runtime.store;
  const plain = store.appendEach.bind(store);
  const timed: AppendEach = async (requests) => {
    const t0 = performance.now();
    const outcomes = await plain(requests);
    const types = new Set(requests.map((r) => r.events[0]?.type ?? 'none'));
    const type = [...types].sort().join('+');
    stats.op(`store.appendEach [${type}]: ms`, performance.now() - t0);
    stats.op(`store.appendEach [${type}]: requests per call`, requests.length);
    return outcomes;
  };
  const appendEach = groupCommit ? singleFlight(timed) : plain;
  store.appendEach = async (requests) => {
    const t0 = performance.now();
    const outcomes = await appendEach(requests);
    const type = requests[0]?.events[0]?.type ?? 'none';
    // As the caller sees it (with group-commit: including the wait for the group).
    stats.op(`append ${type}: appendEach ms`, performance.now() - t0);
    stats.op(`append ${type}: requests per appendEach`, requests.length);
    for (const outcome of outcomes) {
      if (outcome instanceof Error) continue;
      const last = outcome.positions.at(-1);
      if (last !== undefined && last > stats.maxAppended) stats.maxAppended = last;
    }
    return outcomes;
  };
  const readAll = store.readAll.bind(store);
  store.readAll = async (options) => {
    const t0 = performance.now();
    const events = await readAll(options);
    if (events.length > 0) {
      stats.op('projection: readAll ms (query + decode/validate)', performance.now() - t0);
    }
    return events;
  };
  const projection = runtime.projection;
  if (projection) {
    const apply = projection.apply.bind(projection);
    projection.apply = async (events) => {
      const t0 = performance.now();
      await apply(events);
      const now = Date.now();
      stats.op('projection: apply ms (fold + write txn)', performance.now() - t0);
      stats.op('projection: events per batch', events.length);
      const last = events.at(-1);
      if (last && last.position > stats.maxProjected) stats.maxProjected = last.position;
      if (stats.measuring) {
        const lag = stats.ops.get('projection: lag ms (event recorded → projected)');
        for (const e of events) lag.add(now - Date.parse(e.recordedAt));
      }
    };
  }
  const dispatcher = runtime.dispatcher;
  if (dispatcher) {
    const tick = dispatcher.tick.bind(dispatcher);
    dispatcher.tick = async () => {
      const t0 = performance.now();
      const dispatched = dispatcher.stats.dispatched;
      const sleepMs = await tick();
      stats.ticks += 1;
      stats.op('dispatcher: tick ms', performance.now() - t0);
      stats.op('dispatcher: runs per tick', dispatcher.stats.dispatched - dispatched);
      stats.op('dispatcher: sleep asked ms', sleepMs);
      return sleepMs;
    };
  }
}

function onRecorded(stats: PipelineStats) {
  return (
    job: JobPayload<'execute'>,
    outcome: { startedAt: number; finishedAt: number; durationMs: number; ok: boolean },
    _startLagMs: number,
  ): void => {
    const recordedAt = Date.now();
    stats.recorded += 1;
    if (!outcome.ok) stats.failedCalls += 1;
    if (job.attempt > 1) stats.redispatched += 1;
    const jobId = job.attempt === 1 ? job.runId : `${job.runId}-a${job.attempt}`;
    const enqueuedAt = stats.enqueuedAt.get(jobId);
    stats.enqueuedAt.delete(jobId);
    const slot = Date.parse(job.scheduledFor);
    const tick = Date.parse(job.dispatchedAt);
    if (stats.recentLateness.length < 100_000) stats.recentLateness.push(outcome.startedAt - slot);
    if (!stats.inWindow(slot, recordedAt)) return;
    const add = (stage: string, value: number) => stats.stages.get(stage).add(value);
    add(STAGES.tickLag, tick - slot);
    if (enqueuedAt !== undefined) {
      add(STAGES.dispatchWork, enqueuedAt - tick);
      add(STAGES.queueWait, outcome.startedAt - enqueuedAt);
      add(STAGES.enqueueLateness, enqueuedAt - slot);
    }
    add(STAGES.call, outcome.durationMs);
    add(STAGES.record, recordedAt - outcome.finishedAt);
    add(STAGES.startLateness, outcome.startedAt - slot);
    add(STAGES.endToEnd, recordedAt - slot);
  };
}

async function startPipeline(
  cfg: BenchConfig,
  adminUrl: string,
  label: string,
): Promise<OrreryPipeline> {
  const database = await createBenchDatabase(adminUrl, label);
  const prefix = uniquePrefix(`bench-orrery-${label}`);
  const stats = new PipelineStats();
  const log = pino({ level: process.env['BENCH_LOG_LEVEL'] ?? 'warn' }, pino.destination(2));
  const onError = (error: Error, context: QueueErrorContext) => {
    const key = `${context.kind}: ${error.message.slice(0, 80)}`;
    stats.queueErrors.set(key, (stats.queueErrors.get(key) ?? 0) + 1);
  };
  const queue = new MeteredQueue(createQueue({ redisUrl: cfg.redisUrl, prefix, onError }), stats);
  let runtime: Runtime;
  try {
    runtime = await startRuntime({
      connectionString: database.url,
      queue,
      log,
      roles: ['projection', 'dispatcher', 'executor'],
      migrate: true,
      dispatcher: { batchSize: cfg.batchSize },
      executor: {
        concurrency: cfg.concurrency,
        http: { allowLoopback: true },
        onRecorded: onRecorded(stats),
      },
    });
  } catch (error) {
    await queue.close().catch(() => {});
    await database.drop().catch(() => {});
    throw error;
  }
  instrument(runtime, stats, cfg.experiments.has('group-commit'));
  let stopping: Promise<{ keysDeleted: number }> | undefined;
  return {
    runtime,
    stats,
    database: database.name,
    stop: () => {
      stopping ??= (async () => {
        await withTimeout(runtime.stop(), 30_000, `stopping the ${label} runtime`);
        await withTimeout(queue.close(), 10_000, `closing the ${label} queue`);
        const keysDeleted = await deleteBenchKeys(prefix, cfg.redisUrl);
        await database.drop();
        return { keysDeleted };
      })();
      return stopping;
    },
  };
}

/** Registers `count` interval endpoints with appendMany (500 per batch); endpoint i first runs at `firstRunAt(i)`. */
async function registerEndpoints(
  pipeline: OrreryPipeline,
  targetUrl: string,
  count: number,
  everyMs: number,
  firstRunAt: (i: number) => number,
  signal: AbortSignal,
): Promise<void> {
  const metadata = { tenantId: 'bench', actor: { kind: 'system' as const, id: 'bench' } };
  for (let from = 0; from < count && !signal.aborted; from += 500) {
    const requests: AppendRequest[] = [];
    for (let i = from; i < Math.min(from + 500, count); i += 1) {
      const endpointId = `b${i}`;
      requests.push({
        streamId: endpointStream(endpointId),
        expectedVersion: 0,
        events: [
          makeEvent(
            'EndpointRegistered',
            {
              endpointId,
              jobId: 'bench',
              tenantId: 'bench',
              config: {
                name: `bench ${i}`,
                request: { url: `${targetUrl}/e/${i}` },
                baseline: { kind: 'interval', everyMs },
              },
              registeredAt: toIso(firstRunAt(i)),
            },
            metadata,
          ),
        ],
      });
    }
    await pipeline.runtime.store.appendMany(requests);
  }
  const projected = await waitUntil(
    async () => {
      const { rows } = await sql<{ n: number }>`
        select count(*)::int as n from schedule /* bench */`.execute(pipeline.runtime.db);
      return (rows[0]?.n ?? 0) >= count;
    },
    { timeoutMs: 60_000, everyMs: 100, signal },
  );
  if (!projected && !signal.aborted) {
    throw new Error(`the projection did not build ${count} schedule rows within 60 s`);
  }
}

/** The Postgres processes serving the bench database, and the server's background processes. */
async function postgresPids(runtime: Runtime): Promise<Set<number>> {
  const { rows } = await sql<{ pid: number }>`
    select pid from pg_stat_activity /* bench */
    where datname = current_database() or datname is null`.execute(runtime.db);
  return new Set(rows.map((r) => r.pid));
}

async function scheduleProbe(runtime: Runtime): Promise<{ due: number; inFlight: number }> {
  const { rows } = await sql<{ due: number; in_flight: number }>`
    select count(*) filter (where next_run_at <= now())::int as due,
           count(*) filter (where in_flight_run_id is not null)::int as in_flight
    from schedule /* bench */`.execute(runtime.db);
  return { due: rows[0]?.due ?? 0, inFlight: rows[0]?.in_flight ?? 0 };
}

export interface PipelineReport {
  readonly database: string;
  readonly endpoints: number;
  readonly everyMs: number;
  readonly windowSeconds: number;
  readonly recorded: number;
  readonly dispatched: number;
  readonly failedCalls: number;
  readonly redispatched: number;
  readonly stale: number;
  readonly queueErrors: Record<string, number>;
  readonly stages: Record<string, Summary>;
  readonly ops: Record<string, Summary>;
  readonly meters: WindowMeters;
  readonly keysDeleted: number;
}

export interface ThroughputResult extends PipelineReport {
  readonly runsPerSecond: number;
  readonly dispatchedPerSecond: number;
  /** Endpoints due and unclaimed each second (min > 0: the pipeline was saturated throughout). */
  readonly dueBacklog: Summary;
}

export interface LatenessResult extends PipelineReport {
  readonly offeredPerSecond: number;
  readonly achievedPerSecond: number;
  readonly slotsOffered: number;
  readonly slotsDispatched: number;
  /** runs.lateness_ms (dispatched_at − scheduled_for) of the window's slots, from the read model. */
  readonly dispatchLateness: Summary;
}

function report(
  pipeline: OrreryPipeline,
  meters: PhaseMeters,
  windowSeconds: number,
  endpoints: number,
  everyMs: number,
  dispatched: number,
  recorded: number,
  keysDeleted: number,
): PipelineReport {
  const { stats } = pipeline;
  return {
    database: pipeline.database,
    endpoints,
    everyMs,
    windowSeconds,
    recorded,
    dispatched,
    failedCalls: stats.failedCalls,
    redispatched: stats.redispatched,
    stale: pipeline.runtime.dispatcher?.stats.stale ?? 0,
    queueErrors: Object.fromEntries(stats.queueErrors),
    stages: stats.stages.summaries(),
    ops: stats.ops.summaries(),
    meters: meters.result,
    keysDeleted,
  };
}

const perSecond = () => {
  let last = 0;
  return (total: number) => {
    const rate = total - last;
    last = total;
    return rate;
  };
};

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
  const { stats, runtime } = pipeline;
  try {
    progress.log(`  database ${pipeline.database}: registering ${cfg.endpoints} endpoints…`);
    const at = Date.now();
    await registerEndpoints(pipeline, targetUrl, cfg.endpoints, cfg.everyMs, () => at, signal);
    const dueBacklog: number[] = [];
    const recordedRate = perSecond();
    const dispatchedRate = perSecond();
    let windowStart = Number.POSITIVE_INFINITY;
    let windowEnd = Number.POSITIVE_INFINITY;
    let recordedAtStart = 0;
    let dispatchedAtStart = 0;
    let recordedAtEnd = 0;
    let dispatchedAtEnd = 0;
    stats.inWindow = (_slot, recordedAt) => recordedAt >= windowStart && recordedAt < windowEnd;
    const window = await measureWindow({
      label: 'orrery max',
      warmupMs: cfg.warmupSeconds * 1000,
      windowMs: cfg.seconds * 1000,
      signal,
      progress,
      status: async (_elapsed, measuring) => {
        stats.recentLateness = [];
        const probe = await scheduleProbe(runtime).catch(() => ({ due: -1, inFlight: -1 }));
        if (measuring) dueBacklog.push(probe.due);
        const dispatched = runtime.dispatcher?.stats.dispatched ?? 0;
        return [
          `recorded ${String(recordedRate(stats.recorded)).padStart(5)}/s`,
          `dispatched ${String(dispatchedRate(dispatched)).padStart(5)}/s`,
          `due ${probe.due}`,
          `in flight ${probe.inFlight}`,
          `queued ${stats.enqueued - stats.pickedUp}`,
          `projection lag ${Math.max(0, stats.maxAppended - stats.maxProjected)} ev`,
        ].join('  ');
      },
      onWindowStart: async () => {
        await meters.start();
        stats.resetWindow();
        stats.measuring = true;
        windowStart = Date.now();
        recordedAtStart = stats.recorded;
        dispatchedAtStart = runtime.dispatcher?.stats.dispatched ?? 0;
      },
      onWindowEnd: async () => {
        windowEnd = Date.now();
        recordedAtEnd = stats.recorded;
        dispatchedAtEnd = runtime.dispatcher?.stats.dispatched ?? 0;
        stats.measuring = false;
        await meters.stop(await postgresPids(runtime).catch(() => undefined));
      },
    });
    const recorded = recordedAtEnd - recordedAtStart;
    const dispatched = dispatchedAtEnd - dispatchedAtStart;
    progress.log('  stopping the pipeline…');
    const { keysDeleted } = await pipeline.stop();
    return {
      ...report(
        pipeline,
        meters,
        window.seconds,
        cfg.endpoints,
        cfg.everyMs,
        dispatched,
        recorded,
        keysDeleted,
      ),
      runsPerSecond: recorded / window.seconds,
      dispatchedPerSecond: dispatched / window.seconds,
      dueBacklog: summarize(dueBacklog),
    };
  } finally {
    await pipeline.stop();
  }
}

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
