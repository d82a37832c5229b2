/** One Orrery runtime on a fresh database and BullMQ prefix, recording into an in-memory meter. */
import type { Tracer } from '@opentelemetry/api';
import { createQueue, type QueueErrorContext } from '@orrery/queue';
import { startRuntime, type Runtime } from '@orrery/scheduling';
import { globalInstrumentation } from '@orrery/telemetry';
import { MemoryTelemetry, uniquePrefix } from '@orrery/testkit';
import pino from 'pino';
import type { BenchConfig } from '../config.js';
import { createBenchDatabase, deleteBenchKeys } from '../infra.js';
import { withTimeout } from '../time.js';

export interface OrreryPipeline {
  readonly runtime: Runtime;
  /**
   * What the runtime records (docs/observability.md): `totals()`, a measured `window()`, and
   * a `window('status')` read once a second for the status line.
   */
  readonly telemetry: MemoryTelemetry;
  /** Queue errors by kind and message (the queue's own error callback). */
  readonly queueErrors: Map<string, number>;
  readonly database: string;
  /** Stops everything and drops the database and keys (idempotent, bounded). */
  stop(): Promise<{ keysDeleted: number }>;
}

/**
 * `tracer`: where the runtime's spans go. Default: the globally registered one, as the services
 * wire it — a no-op until an OpenTelemetry SDK is registered, which is how Orrery runs unless an
 * operator turns tracing on (the tracing phase measures what that costs, passing the tracer of
 * each mode). The figures come from the meter, which is MemoryTelemetry's. (MemoryTelemetry's
 * own tracer keeps every span in memory to the end of the phase, which no deployment does, and
 * these phases never read them; the distributed phase's services run with the no-op too.)
 */
export async function startPipeline(
  cfg: BenchConfig,
  adminUrl: string,
  label: string,
  tracer?: Tracer,
): Promise<OrreryPipeline> {
  const database = await createBenchDatabase(adminUrl, label);
  const prefix = uniquePrefix(`bench-orrery-${label}`);
  const telemetry = new MemoryTelemetry(['window', 'status']);
  const queueErrors = new Map<string, number>();
  const log = pino({ level: process.env['BENCH_LOG_LEVEL'] ?? 'warn' }, pino.destination(2));
  const onError = (error: Error, context: QueueErrorContext) => {
    const key = `${context.kind}: ${error.message.slice(0, 80)}`;
    queueErrors.set(key, (queueErrors.get(key) ?? 0) + 1);
  };
  const inProcess = cfg.queue === 'in-process';
  const queue = createQueue({ redisUrl: inProcess ? undefined : cfg.redisUrl, prefix, onError });
  let runtime: Runtime;
  try {
    runtime = await startRuntime({
      connectionString: database.url,
      queue,
      log,
      roles: ['projection', 'dispatcher', 'executor'],
      migrate: true,
      dispatcher: { batchSize: cfg.batchSize, aheadMs: cfg.dispatchAheadMs },
      executor: { concurrency: cfg.concurrency, http: { allowLoopback: true } },
      instrumentation: {
        tracer: tracer ?? globalInstrumentation().tracer,
        meter: telemetry.instrumentation.meter,
      },
    });
  } catch (error) {
    await queue.close().catch(() => {});
    await database.drop().catch(() => {});
    throw error;
  }
  let stopping: Promise<{ keysDeleted: number }> | undefined;
  return {
    runtime,
    telemetry,
    queueErrors,
    database: database.name,
    stop: () => {
      stopping ??= (async () => {
        await withTimeout(runtime.stop(), 30_000, `stopping the ${label} runtime`);
        await withTimeout(queue.close(), 10_000, `closing the ${label} queue`);
        const keysDeleted = inProcess ? 0 : await deleteBenchKeys(prefix, cfg.redisUrl);
        await database.drop();
        await telemetry.shutdown();
        return { keysDeleted };
      })();
      return stopping;
    },
  };
}

/** Events the projection has yet to apply: the log's head minus its checkpoint (as an operator reads them). */
export async function projectionLag(pipeline: OrreryPipeline): Promise<number> {
  const { runtime } = pipeline;
  const [head, checkpoint] = await Promise.all([
    runtime.store.headPosition(),
    Promise.resolve(runtime.processors.find((p) => p.name === 'scheduling')?.position ?? 0),
  ]);
  return Math.max(0, head - checkpoint);
}
