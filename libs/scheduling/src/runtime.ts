import type { EventStore, QueuePort } from '@orrery/domain';
import { createPostgresEventStore, migrateDatabase } from '@orrery/event-store';
import { noopInstrumentation, type Instrumentation } from '@orrery/telemetry';
import type { Logger } from 'pino';
import { createSchedulingDb, type SchedulingDb } from './db.js';
import { Dispatcher, type DispatcherOptions } from './dispatcher/dispatcher.js';
import { AppendBatcher } from './executor/append-batcher.js';
import { Executor, type ExecutorOptions } from './executor/executor.js';
import { schedulingMigrations } from './migrations/index.js';
import { HintExpirer } from './projection/hint-expirer.js';
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
  readonly now?: () => number;
  /** Tracer and meter for the stores, dispatcher and executor. Default: no-ops. */
  readonly instrumentation?: Instrumentation;
}

export interface Runtime {
  readonly store: EventStore;
  readonly db: SchedulingDb;
  readonly projection?: SchedulingProjection;
  readonly dispatcher?: Dispatcher;
  readonly executor?: Executor;
  /** Stops in dependency order: no new dispatches, finish calls in hand, then the projection. */
  stop(): Promise<void>;
}

/**
 * Wires the scheduling roles over one Postgres database and one queue. Each
 * service starts the roles it owns; embedded mode starts all of them.
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
  // The projection reads with its own pool: appends queued on the ordering
  // lock must never starve the reader that turns them into due times.
  const projectionStore = has('projection')
    ? createPostgresEventStore({ connectionString, maxConnections: 3, instrumentation })
    : undefined;
  const batcher = new AppendBatcher(store);
  const db = createSchedulingDb({ connectionString, max: 6 });
  const now = options.now ?? Date.now;

  const projection = has('projection')
    ? new SchedulingProjection({
        db,
        store: projectionStore ?? store,
        log,
      })
    : undefined;
  const expirer = has('projection')
    ? new HintExpirer({ db, store, log, connectionString, now })
    : undefined;
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

  await projection?.start();
  await expirer?.start();
  await dispatcher?.start();
  executor?.start();
  log.info({ roles: options.roles }, 'scheduling started');

  return {
    store,
    db,
    ...(projection ? { projection } : {}),
    ...(dispatcher ? { dispatcher } : {}),
    ...(executor ? { executor } : {}),
    async stop() {
      await dispatcher?.stop();
      await executor?.stop();
      await expirer?.stop();
      await projection?.stop();
      await batcher.drain();
      await store.close();
      await projectionStore?.close();
      await db.destroy();
    },
  };
}
