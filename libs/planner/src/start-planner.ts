import type { EventStore, Millis, PlannerBackend } from '@orrery/domain';
import { createPostgresEventStore } from '@orrery/event-store';
import { createSchedulingDb, ProcessorHost } from '@orrery/scheduling';
import { noopInstrumentation, type Instrumentation } from '@orrery/telemetry';
import type { Logger } from 'pino';
import { PlannerProcessor } from './planner-processor.js';
import type { AnalysisBudget } from './session-runner.js';

export interface PlannerServiceOptions {
  readonly connectionString: string;
  readonly log: Logger;
  readonly now?: () => Millis;
  /** The model planner (see createClaudeBackend); without it every job uses the heuristic. */
  readonly claude?: PlannerBackend;
  /** Default 1 s. */
  readonly debounceMs?: number;
  /** Sessions at once per shard. Default 4. */
  readonly concurrency?: number;
  /** Default: 600 model sessions and 2,000,000 tokens per tenant per hour. */
  readonly budget?: Partial<AnalysisBudget>;
  /** Shards of the tenants, each with its own lease (one active planner per shard). Default 1. */
  readonly shards?: number;
  /** Default 120 s. */
  readonly sessionTimeoutMs?: number;
  readonly leaseTtlMs?: number;
  readonly instrumentation?: Instrumentation;
}

export interface PlannerService {
  readonly hosts: readonly ProcessorHost[];
  readonly store: EventStore;
  stop(): Promise<void>;
}

export const DEFAULT_ANALYSIS_BUDGET: AnalysisBudget = {
  windowMs: 60 * 60_000,
  sessions: 600,
  tokens: 2_000_000,
};

/**
 * Starts the planner: one processor host per shard over its own pools. Any number of processes
 * may run it; one host per shard is active, the others stand by.
 */
export async function startPlanner(options: PlannerServiceOptions): Promise<PlannerService> {
  const { connectionString, log } = options;
  const instrumentation = options.instrumentation ?? noopInstrumentation;
  const store = createPostgresEventStore({ connectionString, maxConnections: 4, instrumentation });
  const db = createSchedulingDb({ connectionString, max: 4 });
  const now = options.now ?? Date.now;
  const count = options.shards ?? 1;
  const processors = Array.from(
    { length: count },
    (_, index) =>
      new PlannerProcessor({
        db,
        store,
        log,
        now,
        ...(options.claude ? { claude: options.claude } : {}),
        budget: { ...DEFAULT_ANALYSIS_BUDGET, ...options.budget },
        sessionTimeoutMs: options.sessionTimeoutMs ?? 120_000,
        debounceMs: options.debounceMs ?? 1_000,
        concurrency: options.concurrency ?? 4,
        shard: { index, count },
        instrumentation,
      }),
  );
  const hosts = processors.map(
    (processor) =>
      new ProcessorHost({
        processor,
        store,
        db,
        log,
        connectionString,
        now,
        instrumentation,
        ...(options.leaseTtlMs === undefined ? {} : { leaseTtlMs: options.leaseTtlMs }),
      }),
  );
  for (const host of hosts) await host.start();
  log.info({ shards: count, planner: options.claude ? 'claude' : 'heuristic' }, 'planner started');
  return {
    hosts,
    store,
    async stop() {
      for (const host of hosts) await host.stop();
      // Sessions in flight finish (or fail) before their pools close.
      await Promise.all(processors.map((p) => p.settle()));
      await store.close();
      await db.destroy();
    },
  };
}
