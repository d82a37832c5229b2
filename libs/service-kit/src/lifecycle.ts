import type { Logger } from 'pino';
import { ConfigError } from './env.js';

export interface RunServiceOptions {
  /**
   * Runs last, after `stop` (or a failed boot), before the process exits: flushes telemetry
   * (the function `startTelemetry` returns). A failure is logged and ignored.
   */
  readonly flush?: () => Promise<void>;
}

/**
 * Runs a service: `start` returns its stop function; SIGINT/SIGTERM stop it
 * gracefully (a second signal exits at once). A ConfigError at boot prints its
 * message and exits 2; any other boot failure exits 1. Once started, stray
 * failures are logged (see {@link reportStrayFailures}). `flush` runs last, whichever way.
 */
export async function runService(
  name: string,
  start: () => Promise<{ log: Logger; stop: () => Promise<void> }>,
  options: RunServiceOptions = {},
): Promise<void> {
  const flush = () =>
    (options.flush?.() ?? Promise.resolve()).catch((error: unknown) =>
      console.error(`${name}: flushing telemetry failed:`, error),
    );
  let running: { log: Logger; stop: () => Promise<void> };
  try {
    running = await start();
  } catch (error) {
    if (error instanceof ConfigError) {
      console.error(`${name}: ${error.message}`);
      await flush();
      process.exit(2);
    }
    console.error(`${name}: failed to start:`, error);
    await flush();
    process.exit(1);
  }
  reportStrayFailures(running.log);
  let stopping = 0;
  const shutdown = (signal: string) => {
    // `npm start` forwards the terminal's SIGINT to a child that got it too:
    // a repeat within a second is the same Ctrl-C, not a second one.
    if (stopping && Date.now() - stopping < 1000) return;
    if (stopping) {
      running.log.warn({ signal }, 'second signal: exiting now');
      process.exit(1);
    }
    stopping = Date.now();
    running.log.info({ signal }, 'shutting down');
    running.stop().then(
      async () => {
        running.log.info('stopped');
        await flush();
        process.exit(0);
      },
      async (error: unknown) => {
        running.log.error({ err: error }, 'shutdown failed');
        await flush();
        process.exit(1);
      },
    );
  };
  process.on('SIGINT', () => shutdown('SIGINT'));
  process.on('SIGTERM', () => shutdown('SIGTERM'));
}

/**
 * A safety net under the service, in addition to handling failures where they happen (every
 * loop retries its own rounds; every database and queue connection has an error listener):
 *
 * - An unhandled promise rejection is logged and the service goes on. Such a promise belongs to
 *   side work nobody awaited; the work the service exists for runs in loops that await and
 *   retry their own rounds, so exiting would turn a logged bug into an outage (Node's default
 *   would end the process).
 * - An uncaught exception (a throw in a callback, an `'error'` event nobody listens to) may
 *   leave state half-changed: it is logged as one structured line and the process still exits,
 *   as Node does by default, for the supervisor to restart it.
 */
export function reportStrayFailures(log: Logger): void {
  process.on('unhandledRejection', (reason) => {
    log.error({ err: reason }, 'unhandled rejection (a bug); the service goes on');
  });
  process.on('uncaughtExceptionMonitor', (error, origin) => {
    log.fatal({ err: error, origin }, 'uncaught exception (a bug); the process exits');
  });
}
