import { startRoleService } from '@orrery/scheduling';
import { createLogger, distributedEnv, envInt, parseEnv, runService } from '@orrery/service-kit';
import { globalInstrumentation, startTelemetry } from '@orrery/telemetry';
import { z } from 'zod';

// Follows the event log into the scheduling read models; appends HintExpired; turns upstream
// responses into cascades, and dispatches a fired cascade's run at once.
// Run any number: one process at a time runs each processor (it holds the processor's lease),
// the others stand by and take over when it dies.
// Exports traces and metrics when OTEL_* says where (docs/observability.md); else nothing starts.
const flush = startTelemetry({ serviceName: 'orrery-projection' });
await runService(
  'projection',
  async () => {
    const config = parseEnv(
      z.object({
        ...distributedEnv,
        // The lease of the cascade runs it dispatches: the dispatchers' margin.
        LEASE_MARGIN_MS: envInt(15_000, 100),
      }),
    );
    return startRoleService(
      'projection',
      config,
      createLogger('projection', config.LOG_LEVEL, { format: config.LOG_FORMAT }),
      {
        dispatcher: { leaseMarginMs: config.LEASE_MARGIN_MS },
        // A no-op until an OpenTelemetry SDK is registered in this process (docs/observability.md).
        instrumentation: globalInstrumentation(),
      },
    );
  },
  { flush },
);
