import { startRoleService } from '@orrery/scheduling';
import { createLogger, distributedEnv, envInt, parseEnv, runService } from '@orrery/service-kit';
import { globalInstrumentation, startTelemetry } from '@orrery/telemetry';
import { z } from 'zod';

// Claims due endpoints, appends RunDispatched, enqueues execute jobs. Run any number.
// Exports traces and metrics when OTEL_* says where (docs/observability.md); else nothing starts.
const flush = startTelemetry({ serviceName: 'orrery-dispatcher' });
await runService(
  'dispatcher',
  async () => {
    const config = parseEnv(
      z.object({
        ...distributedEnv,
        DISPATCH_BATCH_SIZE: envInt(200, 1, 5000),
        LEASE_MARGIN_MS: envInt(15_000, 100),
        // Dispatch ahead: runs due within this many ms are dispatched now and called at their
        // time by the executor (docs/scheduling.md#dispatch-ahead). 0 turns it off.
        DISPATCH_AHEAD_MS: envInt(500, 0, 1000),
        DISPATCHER_ID: z.string().min(1).optional(),
      }),
    );
    return startRoleService(
      'dispatcher',
      config,
      createLogger('dispatcher', config.LOG_LEVEL, { format: config.LOG_FORMAT }),
      {
        dispatcher: {
          batchSize: config.DISPATCH_BATCH_SIZE,
          leaseMarginMs: config.LEASE_MARGIN_MS,
          aheadMs: config.DISPATCH_AHEAD_MS,
          dispatcherId: config.DISPATCHER_ID ?? `dispatcher-${process.pid}`,
        },
        // A no-op until an OpenTelemetry SDK is registered in this process (docs/observability.md).
        instrumentation: globalInstrumentation(),
      },
    );
  },
  { flush },
);
