import type { EventStore, QueuePort } from '@orrery/domain';
import { createPostgresEventStore, migrateDatabase } from '@orrery/event-store';
import { noopInstrumentation, type Instrumentation } from '@orrery/telemetry';
import type { Logger } from 'pino';
import { createSchedulingDb, type SchedulingDb } from './db.js';
import { Dispatcher, type DispatcherOptions } from './dispatcher/dispatcher.js';
import { AppendBatcher } from './executor/append-batcher.js';
import { Executor, type ExecutorOptions } from './executor/executor.js';
import { QueueMetrics } from './executor/queue-metrics.js';
import { schedulingMigrations } from './migrations/index.js';
import { CascadeProcessor } from './processing/cascade.js';
import { HintExpiryProcessor } from './processing/hint-expiry.js';
import type { Processor } from './processing/processor.js';
import { ProcessorHost, type ProcessorHostOptions } from './processing/processor-host.js';
import { SchedulingProjection } from './projection/scheduling-projection.js';

export type Role = 'projection' | 'dispatcher' | 'executor';

export interface RuntimeOptions {
  readonly connectionString: string;
  readonly queue: QueuePort;
  readonly log: Logger;
  readonly roles: readonly Role[];
  /** Apply pending migrations first (embedded mode, tests; services when asked). */
  readonly migrate?: boolean;
  readonly dispatcher?: Partial<
    Omit<DispatcherOptions, 'db' | 'store' | 'queue' | 'log' | 'connectionString'>
  >;
  readonly executor?: Partial<Omit<ExecutorOptions, 'store' | 'queue' | 'log'>>;
  /** Processor hosting (lease time, batch size). */
  readonly processors?: Partial<Pick<ProcessorHostOptions, 'leaseTtlMs' | 'batchSize'>>;
  readonly now?: () => number;
  /** Tracer and meter for the stores, dispatcher and executor. Default: no-ops. */
  readonly instrumentation?: Instrumentation;
}

export interface Runtime {
  readonly store: EventStore;
  readonly db: SchedulingDb;
  /** The processors this process hosts (projection, hint expiry, cascades); one is active per name. */
  readonly processors: readonly ProcessorHost[];
  readonly dispatcher?: Dispatcher;
  readonly executor?: Executor;
  /** Stops in dependency order: no new dispatches, finish calls in hand, then the processors. */
  stop(): Promise<void>;
}

/**
 * Wires the scheduling roles over one Postgres database and one queue. Each service starts the
 * roles it owns; embedded mode starts all of them. The `projection` role hosts the processors
 * (the projection and hint expiry): any number of processes may host them, one is active each.
 */
export async function startRuntime(options: RuntimeOptions): Promise<Runtime> {
  const { connectionString, queue, log } = options;
  if (options.migrate) {
    await migrateDatabase(
      connectionString,
      (line) => log.info({ migration: line }, 'migrate'),
      schedulingMigrations,
    );
  }
  const has = (role: Role) => options.roles.includes(role);
  const instrumentation = options.instrumentation ?? noopInstrumentation;
  const store = createPostgresEventStore({ connectionString, maxConnections: 8, instrumentation });
  // The processors read with their own pool: appends queued on the ordering
  // lock must never starve the reader that turns them into due times.
  const processorStore = has('projection')
    ? createPostgresEventStore({ connectionString, maxConnections: 3, instrumentation })
    : undefined;
  const batcher = new AppendBatcher(store);
  const db = createSchedulingDb({ connectionString, max: 6 });
  const now = options.now ?? Date.now;

  const host = (processor: Processor) =>
    new ProcessorHost({
      processor,
      store: processorStore ?? store,
      db,
      log,
      connectionString,
      now,
      instrumentation,
      ...options.processors,
    });
  const processors = has('projection')
    ? [
        host(new SchedulingProjection({ db, store: processorStore ?? store, instrumentation })),
        host(new HintExpiryProcessor({ db, store })),
        host(
          new CascadeProcessor({
            db,
            store,
            now,
            queue,
            instrumentation,
            ...(options.dispatcher?.leaseMarginMs === undefined
              ? {}
              : { leaseMarginMs: options.dispatcher.leaseMarginMs }),
          }),
        ),
      ]
    : [];
  const dispatcher = has('dispatcher')
    ? new Dispatcher({
        db,
        store,
        queue,
        log,
        connectionString,
        now,
        batcher,
        instrumentation,
        ...options.dispatcher,
      })
    : undefined;
  const executor = has('executor')
    ? new Executor({ store, queue, log, now, instrumentation, ...options.executor })
    : undefined;

  // The executors' backlog. Each executor process reports the same shared queue: aggregate
  // across processes with max, not sum (docs/observability.md).
  const queueMetrics = executor
    ? new QueueMetrics(instrumentation.meter, queue, ['execute'], now)
    : undefined;

  for (const processor of processors) await processor.start();
  await dispatcher?.start();
  executor?.start();
  log.info({ roles: options.roles }, 'scheduling started');

  return {
    store,
    db,
    processors,
    ...(dispatcher ? { dispatcher } : {}),
    ...(executor ? { executor } : {}),
    async stop() {
      queueMetrics?.close();
      await dispatcher?.stop();
      await executor?.stop();
      for (const processor of processors) await processor.stop();
      await batcher.drain();
      await store.close();
      await processorStore?.close();
      await db.destroy();
    },
  };
}
