import { createQueue } from '@orrery/queue';
import { startRuntime } from '@orrery/scheduling';
import {
  createLogger,
  distributedEnv,
  envBoolean,
  envInt,
  parseEnv,
  runService,
} from '@orrery/service-kit';
import { z } from 'zod';

// Calls targets for execute jobs and records ResponseRecorded. Scale horizontally.
await runService('executor', async () => {
  const config = parseEnv(
    z.object({
      ...distributedEnv,
      EXECUTOR_CONCURRENCY: envInt(32, 1, 1000),
      /** Targets on loopback addresses are refused unless allowed (dev, tests). */
      ALLOW_LOOPBACK: envBoolean(false),
      ALLOW_PRIVATE_NETWORKS: envBoolean(false),
      SIGNING_SECRET: z.string().min(16).optional(),
      EXECUTOR_ID: z.string().min(1).optional(),
    }),
  );
  const log = createLogger('executor', config.LOG_LEVEL);
  const queue = createQueue({
    redisUrl: config.REDIS_URL,
    prefix: config.QUEUE_PREFIX,
    onError: (error, context) => log.error({ err: error, ...context }, 'queue error'),
  });
  const runtime = await startRuntime({
    connectionString: config.DATABASE_URL,
    queue,
    log,
    roles: ['executor'],
    migrate: config.MIGRATE,
    executor: {
      concurrency: config.EXECUTOR_CONCURRENCY,
      executorId: config.EXECUTOR_ID ?? `executor-${process.pid}`,
      http: {
        allowLoopback: config.ALLOW_LOOPBACK,
        allowPrivateNetworks: config.ALLOW_PRIVATE_NETWORKS,
        ...(config.SIGNING_SECRET ? { signingSecret: config.SIGNING_SECRET } : {}),
      },
    },
  });
  return { log, stop: async () => (await runtime.stop(), await queue.close()) };
});
