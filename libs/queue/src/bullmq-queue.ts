import type {
  ConsumeOptions,
  Consumer,
  QueueName,
  QueuePort,
  QueueMessage,
  QueueStats,
  ReceivedMessage,
} from '@orrery/domain';
import { Queue, UnrecoverableError, Worker, type Job } from 'bullmq';
import { Redis } from 'ioredis';
import { parsePayload } from './payload.js';
import {
  DEFAULT_ATTEMPTS,
  asError,
  backoffDelayOf,
  assertJobId,
  concurrencyOf,
  positiveInteger,
  reporter,
  type CommonQueueOptions,
  type QueueErrorHandler,
} from './queue-options.js';

export interface BullmqQueueOptions extends CommonQueueOptions {
  /**
   * A Redis URL (the adapter opens and closes its own connections), or an
   * ioredis instance the caller owns and closes. A passed instance without
   * `maxRetriesPerRequest: null` is duplicated for workers, which need it.
   */
  readonly connection: string | Redis;
  /** BullMQ key prefix: every key lives under `<prefix>:<queue>:`. Tests use a unique one. */
  readonly prefix: string;
}

/** Finished jobs kept for inspection (and id de-duplication) before BullMQ evicts them. */
const KEEP_COMPLETED = { age: 60 * 60, count: 1_000 };
const KEEP_FAILED = { age: 7 * 24 * 60 * 60, count: 5_000 };

/**
 * The queue port on BullMQ (Redis), for distributed mode.
 *
 * - `enqueue` adds with `jobId = job.id`: a job whose id is still in Redis
 *   (waiting, active, delayed, or finished and not yet evicted) is not added again.
 * - `consume` starts a Worker; each payload is parsed with the job catalogue.
 *   A payload failing its schema fails with `UnrecoverableError` (no retry) and
 *   is reported to `onError`; a throwing handler is retried with exponential
 *   backoff up to `defaultAttempts` deliveries.
 * - One Queue per queue name; `close()` closes workers, then queues, then the
 *   connections this adapter opened.
 *
 * @example
 * const queue = new BullmqQueue({ connection: 'redis://127.0.0.1:6379', prefix: 'orrery' });
 * queue.consume('execute', async (job) => execute(job.data), { concurrency: 16 });
 * await queue.enqueue('execute', [{ id: runId, data: payload }]);
 */
export class BullmqQueue implements QueuePort {
  readonly #options: BullmqQueueOptions;
  readonly #attempts: number;
  readonly #backoffDelayMs: number;
  readonly #report: QueueErrorHandler;
  readonly #queues = new Map<QueueName, Queue>();
  readonly #workers = new Set<Worker>();
  /** Connections this adapter opened, closed last. */
  readonly #owned: Redis[] = [];
  #producer: Redis | undefined;
  #consumer: Redis | undefined;
  #closing: Promise<void> | undefined;

  constructor(options: BullmqQueueOptions) {
    this.#options = options;
    this.#attempts = positiveInteger(
      'defaultAttempts',
      options.defaultAttempts ?? DEFAULT_ATTEMPTS,
    );
    this.#backoffDelayMs = backoffDelayOf(options);
    this.#report = reporter(options.onError);
  }

  async enqueue<Q extends QueueName>(queue: Q, jobs: readonly QueueMessage<Q>[]): Promise<void> {
    this.#assertOpen();
    if (jobs.length === 0) return;
    for (const job of jobs) assertJobId(job.id);
    await this.#queue(queue).addBulk(
      jobs.map((job) => ({ name: queue, data: job.data, opts: { jobId: job.id } })),
    );
  }

  consume<Q extends QueueName>(
    queue: Q,
    handler: (job: ReceivedMessage<Q>) => Promise<void>,
    options?: ConsumeOptions,
  ): Consumer {
    this.#assertOpen();
    const process = async (job: Job): Promise<void> => {
      const id = job.id ?? '';
      const attempt = job.attemptsMade + 1;
      const parsed = parsePayload(queue, id, job.data);
      if (!parsed.ok) {
        this.#report(parsed.error, {
          kind: 'payload',
          queue,
          jobId: id,
          attempt,
          willRetry: false,
        });
        throw new UnrecoverableError(parsed.error.message);
      }
      try {
        await handler({ id, data: parsed.data, attempt });
      } catch (thrown) {
        const error = asError(thrown);
        const willRetry = attempt < (job.opts.attempts ?? 1);
        this.#report(error, { kind: 'handler', queue, jobId: id, attempt, willRetry });
        throw error;
      }
    };
    const worker = new Worker(queue, process, {
      connection: this.#consumerConnection(),
      prefix: this.#options.prefix,
      concurrency: concurrencyOf(options),
    });
    worker.on('error', (error) => this.#report(error, { kind: 'worker', queue }));
    this.#workers.add(worker);
    let closing: Promise<void> | undefined;
    return {
      close: () => {
        closing ??= worker.close().finally(() => this.#workers.delete(worker));
        return closing;
      },
    };
  }

  /** Two reads of Redis: the counts, and the oldest waiting job (its BullMQ timestamp). */
  async stats(name: QueueName): Promise<QueueStats> {
    this.#assertOpen();
    const queue = this.#queue(name);
    const [counts, oldest] = await Promise.all([
      queue.getJobCounts('wait', 'active', 'delayed'),
      queue.getJobs(['wait'], 0, 0, true),
    ]);
    return {
      waiting: counts['wait'] ?? 0,
      active: counts['active'] ?? 0,
      delayed: counts['delayed'] ?? 0,
      oldestWaitingAt: oldest[0]?.timestamp ?? null,
    };
  }

  close(): Promise<void> {
    this.#closing ??= this.#close();
    return this.#closing;
  }

  async #close(): Promise<void> {
    await Promise.all([...this.#workers].map((worker) => worker.close()));
    this.#workers.clear();
    await Promise.all([...this.#queues.values()].map((queue) => queue.close()));
    this.#queues.clear();
    // Every command has completed by now, so dropping the sockets loses nothing.
    for (const connection of this.#owned) connection.disconnect();
  }

  #assertOpen(): void {
    if (this.#closing) throw new Error('BullmqQueue is closed');
  }

  #queue(name: QueueName): Queue {
    let queue = this.#queues.get(name);
    if (!queue) {
      queue = new Queue(name, {
        connection: this.#producerConnection(),
        prefix: this.#options.prefix,
        defaultJobOptions: {
          attempts: this.#attempts,
          backoff: { type: 'exponential', delay: this.#backoffDelayMs },
          removeOnComplete: KEEP_COMPLETED,
          removeOnFail: KEEP_FAILED,
        },
      });
      queue.on('error', (error) => this.#report(error, { kind: 'worker', queue: name }));
      this.#queues.set(name, queue);
    }
    return queue;
  }

  /** Producers keep ioredis's bounded retries, so an enqueue fails instead of hanging while Redis is down. */
  #producerConnection(): Redis {
    const { connection } = this.#options;
    if (typeof connection !== 'string') return connection;
    this.#producer ??= this.#open(new Redis(connection));
    return this.#producer;
  }

  /** Workers block on Redis and must retry forever: BullMQ requires `maxRetriesPerRequest: null`. */
  #consumerConnection(): Redis {
    if (this.#consumer) return this.#consumer;
    const { connection } = this.#options;
    if (typeof connection === 'string') {
      this.#consumer = this.#open(new Redis(connection, { maxRetriesPerRequest: null }));
    } else if (connection.options.maxRetriesPerRequest === null) {
      this.#consumer = connection;
    } else {
      this.#consumer = this.#open(connection.duplicate({ maxRetriesPerRequest: null }));
    }
    return this.#consumer;
  }

  #open(connection: Redis): Redis {
    this.#owned.push(connection);
    return connection;
  }
}
