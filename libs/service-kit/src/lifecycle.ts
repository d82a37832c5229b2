import type { Logger } from 'pino';
import { ConfigError } from './env.js';

/**
 * Runs a service: `start` returns its stop function; SIGINT/SIGTERM stop it
 * gracefully (a second signal exits at once). A ConfigError at boot prints its
 * message and exits 2; any other boot failure exits 1.
 */
export async function runService(
  name: string,
  start: () => Promise<{ log: Logger; stop: () => Promise<void> }>,
): Promise<void> {
  let running: { log: Logger; stop: () => Promise<void> };
  try {
    running = await start();
  } catch (error) {
    if (error instanceof ConfigError) {
      console.error(`${name}: ${error.message}`);
      process.exit(2);
    }
    console.error(`${name}: failed to start:`, error);
    process.exit(1);
  }
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
      () => {
        running.log.info('stopped');
        process.exit(0);
      },
      (error: unknown) => {
        running.log.error({ err: error }, 'shutdown failed');
        process.exit(1);
      },
    );
  };
  process.on('SIGINT', () => shutdown('SIGINT'));
  process.on('SIGTERM', () => shutdown('SIGTERM'));
}
