import { startRoleService } from '@orrery/scheduling';
import { createLogger, distributedEnv, parseEnv, runService } from '@orrery/service-kit';
import { globalInstrumentation } from '@orrery/telemetry';
import { z } from 'zod';

// Follows the event log into the scheduling read models; appends HintExpired.
// Run any number: one process at a time runs each processor (it holds the processor's lease),
// the others stand by and take over when it dies.
await runService('projection', async () => {
  const config = parseEnv(z.object(distributedEnv));
  return startRoleService('projection', config, createLogger('projection', config.LOG_LEVEL), {
    // A no-op until an OpenTelemetry SDK is registered in this process (docs/observability.md).
    instrumentation: globalInstrumentation(),
  });
});
