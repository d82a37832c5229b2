import { createQueue } from '@orrery/queue';
import { startRuntime } from '@orrery/scheduling';
import { createLogger, distributedEnv, parseEnv, runService } from '@orrery/service-kit';
import { z } from 'zod';

// Follows the event log into the scheduling read models; appends HintExpired.
// Run one per database (its checkpoint is a single reader).
await runService('projection', async () => {
  const config = parseEnv(z.object(distributedEnv));
  const log = createLogger('projection', config.LOG_LEVEL);
  const queue = createQueue({
    redisUrl: config.REDIS_URL,
    prefix: config.QUEUE_PREFIX,
    onError: (error, context) => log.error({ err: error, ...context }, 'queue error'),
  });
  const runtime = await startRuntime({
    connectionString: config.DATABASE_URL,
    queue,
    log,
    roles: ['projection'],
    migrate: config.MIGRATE,
  });
  return { log, stop: async () => (await runtime.stop(), await queue.close()) };
});
