import { migrateDatabase } from '@orrery/event-store';
import { plannerEnv, plannerOptionsFromEnv, startPlanner } from '@orrery/planner';
import { schedulingMigrations } from '@orrery/scheduling';
import { commonEnv, createLogger, parseEnv, runService } from '@orrery/service-kit';
import { globalInstrumentation, startTelemetry } from '@orrery/telemetry';
import { z } from 'zod';

// Analyses recorded responses and proposes hints through the arbiter: the heuristic, or Claude
// when ANTHROPIC_API_KEY is set. Run any number: one process at a time runs each shard's
// planner (it holds the shard's lease), the others stand by and take over when it dies.
// Exports traces and metrics when OTEL_* says where (docs/observability.md); else nothing starts.
const flush = startTelemetry({ serviceName: 'orrery-planner' });
await runService(
  'planner',
  async () => {
    const config = parseEnv(
      z.object({
        ...commonEnv,
        DATABASE_URL: z.url({
          protocol: /^postgres(ql)?$/,
          error: 'a postgres:// connection string',
        }),
        ...plannerEnv,
      }),
    );
    const log = createLogger('planner', config.LOG_LEVEL, { format: config.LOG_FORMAT });
    if (config.MIGRATE) {
      await migrateDatabase(
        config.DATABASE_URL,
        (line) => log.info({ migration: line }, 'migrate'),
        schedulingMigrations,
      );
    }
    const planner = await startPlanner({
      connectionString: config.DATABASE_URL,
      log,
      ...plannerOptionsFromEnv(config, log, globalInstrumentation()),
      // A no-op until an OpenTelemetry SDK is registered in this process (docs/observability.md).
      instrumentation: globalInstrumentation(),
    });
    return { log, stop: () => planner.stop() };
  },
  { flush },
);
