import type { QueuePayload, QueueName } from '../queues.js';

export interface QueueMessage<Q extends QueueName> {
  /** Unique per queue: adding a job whose id is already queued is a no-op. */
  readonly id: string;
  readonly data: QueuePayload<Q>;
}

export interface ReceivedMessage<Q extends QueueName> extends QueueMessage<Q> {
  /** 1 on the first delivery, more on redelivery. */
  readonly attempt: number;
}

export interface ConsumeOptions {
  /** Jobs handled at once by this consumer. Default 1. */
  readonly concurrency?: number;
}

/** A queue's backlog at one moment (the figures an operator watches: depth and age). */
export interface QueueStats {
  /** Jobs ready to be taken. */
  readonly waiting: number;
  /** Jobs a consumer is handling. */
  readonly active: number;
  /** Jobs waiting out a retry's backoff. */
  readonly delayed: number;
  /** When the oldest waiting job was enqueued (ms since the epoch); null when none waits. */
  readonly oldestWaitingAt: number | null;
}

export interface Consumer {
  /** Stops taking jobs and waits for the ones in hand to finish. */
  close(): Promise<void>;
}

/**
 * Transport between services. Never the source of truth: a job lost here is
 * recovered from the event log (a dispatched run whose lease lapses without a
 * recorded response is dispatched again). Delivery is at-least-once; a job
 * whose handler throws is retried with backoff.
 */
export interface QueuePort {
  enqueue<Q extends QueueName>(queue: Q, jobs: readonly QueueMessage<Q>[]): Promise<void>;
  consume<Q extends QueueName>(
    queue: Q,
    handler: (job: ReceivedMessage<Q>) => Promise<void>,
    options?: ConsumeOptions,
  ): Consumer;
  /** The queue's backlog now: for metrics, not for deciding anything (it is stale at once). */
  stats(queue: QueueName): Promise<QueueStats>;
  close(): Promise<void>;
}
