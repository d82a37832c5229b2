import { startRoleService } from '@orrery/scheduling';
import { createLogger, distributedEnv, parseEnv, runService } from '@orrery/service-kit';
import { globalInstrumentation } from '@orrery/telemetry';
import { z } from 'zod';

// Follows the event log into the scheduling read models; appends HintExpired.
// Run one per database (its checkpoint is a single reader).
await runService('projection', async () => {
  const config = parseEnv(z.object(distributedEnv));
  return startRoleService('projection', config, createLogger('projection', config.LOG_LEVEL), {
    // A no-op until an OpenTelemetry SDK is registered in this process (docs/observability.md).
    instrumentation: globalInstrumentation(),
  });
});
