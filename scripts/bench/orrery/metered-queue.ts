import type {
  ConsumeOptions,
  Consumer,
  QueueName,
  QueuePort,
  QueueMessage,
  ReceivedMessage,
} from '@orrery/domain';
import type { PipelineStats } from './pipeline-stats.js';

/** The queue port, timed: enqueue duration and size, pick-ups. */
export class MeteredQueue implements QueuePort {
  constructor(
    private readonly inner: QueuePort,
    private readonly stats: PipelineStats,
  ) {}

  async enqueue<Q extends QueueName>(queue: Q, jobs: readonly QueueMessage<Q>[]): Promise<void> {
    const t0 = performance.now();
    await this.inner.enqueue(queue, jobs);
    const now = Date.now();
    this.stats.op('enqueue: addBulk ms', performance.now() - t0);
    this.stats.op('enqueue: jobs per addBulk', jobs.length);
    this.stats.enqueued += jobs.length;
    // Bounded: entries are removed when recorded; past the cap we stop noting.
    if (this.stats.enqueuedAt.size < 200_000) {
      for (const job of jobs) this.stats.enqueuedAt.set(job.id, now);
    }
  }

  consume<Q extends QueueName>(
    queue: Q,
    handler: (job: ReceivedMessage<Q>) => Promise<void>,
    options?: ConsumeOptions,
  ): Consumer {
    return this.inner.consume(
      queue,
      (job) => {
        this.stats.pickedUp += 1;
        return handler(job);
      },
      options,
    );
  }

  close(): Promise<void> {
    return this.inner.close();
  }
}
