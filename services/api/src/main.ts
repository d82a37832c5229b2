import { buildApp, createApiDeps } from '@orrery/api';
import { migrateDatabase } from '@orrery/event-store';
import { schedulingMigrations } from '@orrery/scheduling';
import { SecretBox } from '@orrery/secrets';
import {
  commonEnv,
  createLogger,
  envBoolean,
  envInt,
  parseEnv,
  runService,
  secretKeyEnv,
} from '@orrery/service-kit';
import { globalInstrumentation, startTelemetry } from '@orrery/telemetry';
import { z } from 'zod';

// The control plane: the OpenAPI-documented HTTP API. Stateless; run any number.
// Exports traces and metrics when OTEL_* says where (docs/observability.md); else nothing starts.
const flush = startTelemetry({ serviceName: 'orrery-api' });
await runService(
  'api',
  async () => {
    const config = parseEnv(
      z.object({
        ...commonEnv,
        DATABASE_URL: z.url({
          protocol: /^postgres(ql)?$/,
          error: 'a postgres:// connection string',
        }),
        PORT: envInt(3000, 1, 65535),
        HOST: z.string().default('127.0.0.1'),
        ORRERY_SECRET_KEY: secretKeyEnv,
        // Empty (as docker-compose passes an unset variable) means unset.
        ORRERY_ADMIN_KEY: z.preprocess(
          (v) => (v === '' ? undefined : v),
          z.string().min(24, 'at least 24 characters').optional(),
        ),
        RATE_LIMIT_PER_MINUTE: envInt(600, 1),
        PUBLIC_URL: z.url().optional(),
        /** Test runs may call loopback targets (dev only). */
        ALLOW_LOOPBACK: envBoolean(false),
        /** Targets on private networks (RFC 1918, unique local, link-local, CGNAT) are refused unless allowed. */
        ALLOW_PRIVATE_NETWORKS: envBoolean(false),
      }),
    );
    const log = createLogger('api', config.LOG_LEVEL, { format: config.LOG_FORMAT });
    if (config.MIGRATE) {
      await migrateDatabase(
        config.DATABASE_URL,
        (line) => log.info({ migration: line }, 'migrate'),
        schedulingMigrations,
      );
    }
    const { deps, close } = createApiDeps({
      connectionString: config.DATABASE_URL,
      secrets: SecretBox.fromBase64(config.ORRERY_SECRET_KEY),
      http: {
        allowLoopback: config.ALLOW_LOOPBACK,
        allowPrivateNetworks: config.ALLOW_PRIVATE_NETWORKS,
      },
      rateLimitPerMinute: config.RATE_LIMIT_PER_MINUTE,
      ...(config.ORRERY_ADMIN_KEY ? { adminKey: config.ORRERY_ADMIN_KEY } : {}),
      ...(config.PUBLIC_URL ? { publicUrl: config.PUBLIC_URL } : {}),
      // Its request durations: a no-op until OTEL_* turns the SDK on.
      instrumentation: globalInstrumentation(),
    });
    const app = await buildApp(deps, { logger: log });
    const address = await app.listen({ port: config.PORT, host: config.HOST });
    log.info({ address, docs: `${address}/docs` }, 'api listening');
    return {
      log,
      stop: async () => {
        await app.close();
        await close();
      },
    };
  },
  { flush },
);
