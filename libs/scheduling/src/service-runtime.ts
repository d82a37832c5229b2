import { createQueue } from '@orrery/queue';
import type { Logger } from 'pino';
import { startRuntime, type Role, type RuntimeOptions } from './runtime.js';

/** The environment every scheduling service shares (parsed by the service). */
export interface DistributedConfig {
  readonly DATABASE_URL: string;
  readonly REDIS_URL: string;
  readonly QUEUE_PREFIX: string;
  readonly MIGRATE: boolean;
}

/**
 * Starts one scheduling role as a service of its own: the BullMQ queue from
 * REDIS_URL (errors logged), the runtime over DATABASE_URL, and a stop that
 * releases both.
 */
export async function startRoleService(
  role: Role,
  config: DistributedConfig,
  log: Logger,
  extra: Pick<RuntimeOptions, 'dispatcher' | 'executor' | 'instrumentation'> = {},
): Promise<{ log: Logger; stop: () => Promise<void> }> {
  const queue = createQueue({
    redisUrl: config.REDIS_URL,
    prefix: config.QUEUE_PREFIX,
    onError: (error, context) => log.error({ err: error, ...context }, 'queue error'),
  });
  const runtime = await startRuntime({
    connectionString: config.DATABASE_URL,
    queue,
    log,
    roles: [role],
    migrate: config.MIGRATE,
    ...extra,
  });
  return {
    log,
    stop: async () => {
      await runtime.stop();
      await queue.close();
    },
  };
}
