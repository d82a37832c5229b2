/** One Orrery runtime on a fresh database and BullMQ prefix, metered from the outside. */
import { createQueue, type QueueErrorContext } from '@orrery/queue';
import { startRuntime, type Runtime } from '@orrery/scheduling';
import { uniquePrefix } from '@orrery/testkit';
import pino from 'pino';
import type { BenchConfig } from '../config.js';
import { createBenchDatabase, deleteBenchKeys } from '../infra.js';
import { withTimeout } from '../time.js';
import { instrument } from './instrument.js';
import { MeteredQueue } from './metered-queue.js';
import { PipelineStats } from './pipeline-stats.js';
import { onRecorded } from './run-stages.js';

export interface OrreryPipeline {
  readonly runtime: Runtime;
  readonly stats: PipelineStats;
  readonly database: string;
  /** Stops everything and drops the database and keys (idempotent, bounded). */
  stop(): Promise<{ keysDeleted: number }>;
}

export async function startPipeline(
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
