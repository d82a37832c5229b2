import type { QueuePort } from '@orrery/domain';
import { BullmqQueue } from './bullmq-queue.js';
import { InProcessQueue } from './in-process-queue.js';
import type { QueueErrorHandler } from './queue-options.js';

export { BullmqQueue, type BullmqQueueOptions } from './bullmq-queue.js';
export { InProcessQueue, type InProcessQueueOptions } from './in-process-queue.js';
export { InvalidPayloadError, parsePayload, type PayloadIssue } from './payload.js';
export {
  DEFAULT_ATTEMPTS,
  DEFAULT_BACKOFF_DELAY_MS,
  type CommonQueueOptions,
  type QueueErrorContext,
  type QueueErrorHandler,
  type QueueErrorKind,
} from './queue-options.js';

export interface QueueConfig {
  /** Redis URL; when set (non-empty) the queue is BullMQ, otherwise in-process. */
  readonly redisUrl?: string;
  /** BullMQ key prefix (unused in-process). */
  readonly prefix: string;
  readonly onError?: QueueErrorHandler;
}

/**
 * The queue for a service's configuration: BullMQ when a Redis URL is given
 * (distributed mode), else the in-process queue (embedded mode).
 *
 * @example
 * const queue = createQueue({ redisUrl: env.REDIS_URL, prefix: 'orrery' });
 */
export function createQueue(config: QueueConfig): QueuePort {
  const { redisUrl, prefix, onError } = config;
  return redisUrl
    ? new BullmqQueue({ connection: redisUrl, prefix, onError })
    : new InProcessQueue({ onError });
}
