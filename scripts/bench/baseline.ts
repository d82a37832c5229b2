/**
 * The raw baseline: the same work without the event log. A producer adds
 * execute-shaped jobs to a BullMQ queue (same job options as Orrery's BullMQ
 * adapter) and keeps a backlog; a BullMQ Worker with the same concurrency as
 * Orrery's executor calls the loopback target with a pooled undici Agent.
 */
import { DEFAULT_ATTEMPTS, DEFAULT_BACKOFF_DELAY_MS } from '@orrery/queue';
import { uniquePrefix } from '@orrery/testkit';
import { Queue, Worker, type Job } from 'bullmq';
import { Redis } from 'ioredis';
import { Agent } from 'undici';
import type { BenchConfig } from './config.js';
import { deleteBenchKeys } from './infra.js';
import type { PhaseMeters, WindowMeters } from './meters.js';
import type { Progress } from './progress.js';
import { Samples, type Summary } from './stats.js';
import { sleep, withTimeout } from './time.js';
import { measureWindow } from './window.js';

export interface BaselineResult {
  readonly runsPerSecond: number;
  readonly completedInWindow: number;
  readonly windowSeconds: number;
  readonly added: number;
  readonly failed: number;
  readonly callMs: Summary;
  readonly meters: WindowMeters;
  readonly keysDeleted: number;
}

/** The baseline's runs (before and after Orrery's max phase) and their mean. */
export interface BaselineSummary {
  readonly runsPerSecond: number;
  readonly min: number;
  readonly max: number;
  readonly runs: readonly BaselineResult[];
}

export function summarizeBaselines(runs: readonly BaselineResult[]): BaselineSummary | null {
  if (runs.length === 0) return null;
  const rates = runs.map((r) => r.runsPerSecond);
  return {
    runsPerSecond: rates.reduce((a, b) => a + b, 0) / rates.length,
    min: Math.min(...rates),
    max: Math.max(...rates),
    runs,
  };
}

interface BaselineJob {
  runId: string;
  endpointId: string;
  tenantId: string;
  scheduledFor: string;
  dispatchedAt: string;
  leaseUntil: string;
  attempt: number;
  request: { method: 'GET'; url: string; headers: Record<string, never> };
  timeoutMs: number;
  responseCapBytes: number;
}

/** Backlog the producer keeps ahead of the worker (so it never starves). */
const HIGH_WATER = 4000;

export async function runBaseline(
  cfg: BenchConfig,
  targetUrl: string,
  progress: Progress,
  meters: PhaseMeters,
  signal: AbortSignal,
): Promise<BaselineResult> {
  const prefix = uniquePrefix('bench-baseline');
  const producerConnection = new Redis(cfg.redisUrl);
  const workerConnection = new Redis(cfg.redisUrl, { maxRetriesPerRequest: null });
  producerConnection.on('error', () => {});
  workerConnection.on('error', () => {});
  const queue = new Queue<BaselineJob>('execute', {
    connection: producerConnection,
    prefix,
    // As Orrery's BullmqQueue adapter sets them.
    defaultJobOptions: {
      attempts: DEFAULT_ATTEMPTS,
      backoff: { type: 'exponential', delay: DEFAULT_BACKOFF_DELAY_MS },
      removeOnComplete: { age: 60 * 60, count: 1_000 },
      removeOnFail: { age: 7 * 24 * 60 * 60, count: 5_000 },
    },
  });
  queue.on('error', () => {});
  // As Orrery's HTTP caller configures its pool.
  const agent = new Agent({ connections: 64, headersTimeout: 0, bodyTimeout: 0 });
  const { origin } = new URL(targetUrl);

  let started = 0;
  let completed = 0;
  let failed = 0;
  let windowStart = Number.POSITIVE_INFINITY;
  let windowEnd = Number.POSITIVE_INFINITY;
  let inWindow = 0;
  const callMs = new Samples();
  let lastCompleted = 0;

  const worker = new Worker<BaselineJob>(
    'execute',
    async (job: Job<BaselineJob>) => {
      started += 1;
      const data = job.data;
      const t0 = performance.now();
      const url = new URL(data.request.url);
      const response = await agent.request({
        origin: url.origin,
        path: url.pathname,
        method: data.request.method,
        headers: { 'user-agent': 'orrery-bench-baseline', 'idempotency-key': data.runId },
        signal: AbortSignal.timeout(data.timeoutMs),
      });
      const text = await response.body.text();
      JSON.parse(text);
      const now = Date.now();
      completed += 1;
      if (now >= windowStart && now < windowEnd) {
        inWindow += 1;
        callMs.add(performance.now() - t0);
      }
    },
    { connection: workerConnection, prefix, concurrency: cfg.concurrency },
  );
  worker.on('failed', () => {
    failed += 1;
  });
  worker.on('error', () => {});

  // The producer: add in batches of the dispatcher's size, keep HIGH_WATER jobs ahead.
  let added = 0;
  let producing = true;
  const producer = (async () => {
    const deadline = Date.now() + (cfg.warmupSeconds + cfg.seconds + 30) * 1000;
    while (producing && !signal.aborted && Date.now() < deadline && added < cfg.maxBaselineJobs) {
      if (added - started >= HIGH_WATER) {
        await sleep(5, signal);
        continue;
      }
      const now = new Date().toISOString();
      const jobs = Array.from({ length: cfg.batchSize }, (_, k) => {
        const i = added + k;
        const runId = `run-bl-${i.toString(36)}`;
        const data: BaselineJob = {
          runId,
          endpointId: `bl${i % cfg.endpoints}`,
          tenantId: 'bench',
          scheduledFor: now,
          dispatchedAt: now,
          leaseUntil: now,
          attempt: 1,
          request: { method: 'GET', url: `${origin}/e/${i % cfg.endpoints}`, headers: {} },
          timeoutMs: 10_000,
          responseCapBytes: 64 * 1024,
        };
        return { name: 'execute', data, opts: { jobId: runId } };
      });
      await queue.addBulk(jobs);
      added += jobs.length;
    }
  })();

  let measured: Omit<BaselineResult, 'keysDeleted'>;
  try {
    const window = await measureWindow({
      label: 'baseline  ',
      warmupMs: cfg.warmupSeconds * 1000,
      windowMs: cfg.seconds * 1000,
      signal,
      progress,
      status: () => {
        const rate = completed - lastCompleted;
        lastCompleted = completed;
        return `completed ${String(rate).padStart(5)}/s  backlog ${added - started}  failed ${failed}`;
      },
      onWindowStart: async () => {
        await meters.start();
        windowStart = Date.now();
      },
      onWindowEnd: async () => {
        windowEnd = Date.now();
        await meters.stop();
      },
    });
    producing = false;
    await producer;
    measured = {
      runsPerSecond: inWindow / window.seconds,
      completedInWindow: inWindow,
      windowSeconds: window.seconds,
      added,
      failed,
      callMs: callMs.summary(),
      meters: meters.result,
    };
  } finally {
    producing = false;
    await producer.catch(() => {});
    await withTimeout(worker.close(), 15_000, 'closing the baseline worker');
    await withTimeout(queue.close(), 5_000, 'closing the baseline queue');
    producerConnection.disconnect();
    workerConnection.disconnect();
    await agent.close();
  }
  const keysDeleted = await deleteBenchKeys(prefix, cfg.redisUrl);
  return { ...measured, keysDeleted };
}
