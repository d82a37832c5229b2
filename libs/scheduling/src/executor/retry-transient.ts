import { backoffMs } from '@orrery/postgres';
import { isTransient } from '../processing/transient.js';

export interface RetryTransientOptions {
  /** Once aborted, the next failure is thrown instead of retried (a pause in progress ends). */
  readonly signal: AbortSignal;
  /** Called before each pause, with the failure, the retry's number (0-based) and the pause. */
  readonly onRetry?: (error: unknown, retry: number, delayMs: number) => void;
}

/**
 * Runs `operation` until it succeeds, retrying a transient failure (a lost or refused database
 * connection, see {@link isTransient}) after a growing pause (1 s, 2 s, 4 s, then every 5 s). A failure
 * that is not transient is thrown at once, and so is any failure once `signal` has aborted.
 * Retry only what is safe to repeat (an append under an idempotency key).
 */
export async function retryTransient<T>(
  operation: () => Promise<T>,
  { signal, onRetry }: RetryTransientOptions,
): Promise<T> {
  for (let retry = 0; ; retry++) {
    try {
      return await operation();
    } catch (error) {
      if (signal.aborted || !isTransient(error)) throw error;
      const delayMs = backoffMs(retry);
      onRetry?.(error, retry, delayMs);
      await pause(delayMs, signal);
    }
  }
}

function pause(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    const timer = setTimeout(done, ms);
    signal.addEventListener('abort', done, { once: true });
    function done() {
      clearTimeout(timer);
      signal.removeEventListener('abort', done);
      resolve();
    }
  });
}
