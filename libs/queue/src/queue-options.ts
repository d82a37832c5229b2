import type { ConsumeOptions, QueueName } from '@orrery/domain';

/**
 * What went wrong, for `onError`:
 * - `payload`: a dequeued payload failed its schema; the job is dropped, never retried.
 * - `handler`: the handler threw; the job is retried when `willRetry` is true.
 * - `worker`: the transport itself failed (connection, internal worker error).
 */
export type QueueErrorKind = 'payload' | 'handler' | 'worker';

export interface QueueErrorContext {
  readonly kind: QueueErrorKind;
  readonly queue: QueueName;
  /** The job concerned; absent for `worker` errors. */
  readonly jobId?: string;
  /** The delivery that failed (1 for the first). */
  readonly attempt?: number;
  /** Whether the job will be delivered again. */
  readonly willRetry?: boolean;
}

/** Receives every error the adapter would otherwise swallow. Adapters log nothing themselves. */
export type QueueErrorHandler = (error: Error, context: QueueErrorContext) => void;

/** Options both adapters share. */
export interface CommonQueueOptions {
  /** Deliveries of a job whose handler throws, the first included. Default 5. */
  readonly defaultAttempts?: number;
  /** Base of the exponential retry backoff: attempt n+1 waits `backoffDelayMs * 2^(n-1)`. Default 1000. */
  readonly backoffDelayMs?: number;
  /** Called for payload, handler and worker errors. Default: ignore them. */
  readonly onError?: QueueErrorHandler;
}

export const DEFAULT_ATTEMPTS = 5;
export const DEFAULT_BACKOFF_DELAY_MS = 1000;

export function positiveInteger(name: string, value: number): number {
  if (!Number.isSafeInteger(value) || value < 1) {
    throw new RangeError(`${name} must be a positive integer, got ${value}`);
  }
  return value;
}

export function backoffDelayOf(options: CommonQueueOptions): number {
  const delay = options.backoffDelayMs ?? DEFAULT_BACKOFF_DELAY_MS;
  if (!Number.isFinite(delay) || delay < 0) {
    throw new RangeError(`backoffDelayMs must be a non-negative number, got ${delay}`);
  }
  return delay;
}

export function concurrencyOf(options: ConsumeOptions | undefined): number {
  return positiveInteger('concurrency', options?.concurrency ?? 1);
}

/**
 * Job ids must be usable as BullMQ custom ids in both adapters, so an id that
 * works embedded also works distributed: non-empty, not an integer (BullMQ
 * reserves those for its own ids) and free of `:` (its key separator).
 */
export function assertJobId(id: string): void {
  if (id.length === 0) throw new Error('job id must not be empty');
  if (`${Number.parseInt(id, 10)}` === id) {
    throw new Error(`job id "${id}" must not be an integer`);
  }
  if (id.includes(':')) throw new Error(`job id "${id}" must not contain ":"`);
}

export const asError = (value: unknown): Error =>
  value instanceof Error ? value : new Error(String(value));

/** Calls `onError` without letting a throwing callback break the consumer. */
export function reporter(onError: QueueErrorHandler | undefined): QueueErrorHandler {
  return (error, context) => {
    try {
      onError?.(error, context);
    } catch {
      // The callback's own failure has nowhere better to go.
    }
  };
}
