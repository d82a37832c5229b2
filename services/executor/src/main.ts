import { runLogSummaries, startRoleService } from '@orrery/scheduling';
import { SecretBox } from '@orrery/secrets';
import {
  createLogger,
  distributedEnv,
  envBoolean,
  envInt,
  parseEnv,
  runService,
  secretKeyEnv,
} from '@orrery/service-kit';
import { globalInstrumentation, startTelemetry } from '@orrery/telemetry';
import { z } from 'zod';

// Calls targets for execute jobs and records ResponseRecorded. Scale horizontally.
// Exports traces and metrics when OTEL_* says where (docs/observability.md); else nothing starts.
const flush = startTelemetry({ serviceName: 'orrery-executor' });
await runService(
  'executor',
  async () => {
    const config = parseEnv(
      z.object({
        ...distributedEnv,
        EXECUTOR_CONCURRENCY: envInt(32, 1, 1000),
        /** Targets on loopback addresses are refused unless allowed (dev, tests). */
        ALLOW_LOOPBACK: envBoolean(false),
        ALLOW_PRIVATE_NETWORKS: envBoolean(false),
        SIGNING_SECRET: z.string().min(16).optional(),
        EXECUTOR_ID: z.string().min(1).optional(),
        /** Opens secret header values; without it, runs of endpoints with secrets fail (and say why). */
        ORRERY_SECRET_KEY: secretKeyEnv.optional(),
      }),
    );
    const log = createLogger('executor', config.LOG_LEVEL, {
      format: config.LOG_FORMAT,
      summaries: runLogSummaries, // a run's line (at debug) as one short line when pretty
    });
    if (!config.ORRERY_SECRET_KEY)
      log.warn('ORRERY_SECRET_KEY unset: endpoints with secret headers will fail');
    return startRoleService('executor', config, log, {
      executor: {
        concurrency: config.EXECUTOR_CONCURRENCY,
        executorId: config.EXECUTOR_ID ?? `executor-${process.pid}`,
        secrets: config.ORRERY_SECRET_KEY ? SecretBox.fromBase64(config.ORRERY_SECRET_KEY) : null,
        http: {
          allowLoopback: config.ALLOW_LOOPBACK,
          allowPrivateNetworks: config.ALLOW_PRIVATE_NETWORKS,
          ...(config.SIGNING_SECRET ? { signingSecret: config.SIGNING_SECRET } : {}),
        },
      },
      // A no-op until an OpenTelemetry SDK is registered in this process (docs/observability.md).
      instrumentation: globalInstrumentation(),
    });
  },
  { flush },
);
