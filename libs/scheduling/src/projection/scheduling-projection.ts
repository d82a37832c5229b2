import {
  endpointIdOf,
  jobIdOf,
  type EventStore,
  type RecordedEvent,
  type Subscription,
} from '@orrery/domain';
import type { Logger } from 'pino';
import type { SchedulingDb } from '../db.js';
import { foldBatch } from './fold-batch.js';
import { foldJobs } from './fold-jobs.js';
import { loadStates, writeBatch } from './write-batch.js';
import { loadJobStates, writeJobs } from './write-jobs.js';

export interface SchedulingProjectionOptions {
  readonly db: SchedulingDb;
  readonly store: EventStore;
  readonly log: Logger;
  /** Checkpoint name; two projections with one name must not run at once. Default 'scheduling'. */
  readonly name?: string;
  readonly batchSize?: number;
  /** Called when the subscription fails (the service should exit and restart). */
  readonly onFailure?: (error: unknown) => void;
}

/**
 * Follows the log from its checkpoint and keeps the scheduling read models
 * (schedule, runs). Each batch and the checkpoint commit in one transaction,
 * so after a crash the projection resumes exactly where it left off.
 */
export class SchedulingProjection {
  #subscription: Subscription | undefined;
  readonly #name: string;

  constructor(private readonly options: SchedulingProjectionOptions) {
    this.#name = options.name ?? 'scheduling';
  }

  /** Where the projection has read the log up to. */
  async checkpoint(): Promise<number> {
    const row = await this.options.db
      .selectFrom('projection_checkpoints')
      .select('position')
      .where('name', '=', this.#name)
      .executeTakeFirst();
    return row?.position ?? 0;
  }

  async start(): Promise<void> {
    const after = await this.checkpoint();
    this.options.log.info({ projection: this.#name, after }, 'projection starting');
    this.#subscription = this.options.store.subscribe({
      after,
      batchSize: this.options.batchSize ?? 500,
      onEvents: (events) => this.apply(events),
      onError: (error) => {
        this.options.log.error({ err: error, projection: this.#name }, 'projection stopped');
        this.options.onFailure?.(error);
      },
    });
  }

  /** Applies one batch of log events (exposed for rebuilds and tests). */
  async apply(events: readonly RecordedEvent[]): Promise<void> {
    const last = events.at(-1);
    if (!last) return;
    const endpointIds = [
      ...new Set(events.map((e) => endpointIdOf(e.streamId)).filter((id) => id !== null)),
    ];
    const jobIds = [...new Set(events.map((e) => jobIdOf(e.streamId)).filter((id) => id !== null))];
    await this.options.db.transaction().execute(async (trx) => {
      const batch = foldBatch(await loadStates(trx, endpointIds), events);
      await writeJobs(trx, foldJobs(await loadJobStates(trx, jobIds), events));
      await writeBatch(trx, this.#name, batch, last.position);
    });
  }

  /**
   * Applies everything up to the log's head now, without a subscription:
   * for rebuilds, one-off tools and tests that need the read model current.
   */
  async catchUp(): Promise<number> {
    const batchSize = this.options.batchSize ?? 500;
    let position = await this.checkpoint();
    for (;;) {
      const events = await this.options.store.readAll({ after: position, limit: batchSize });
      if (events.length === 0) return position;
      await this.apply(events);
      position = events.at(-1)?.position ?? position;
    }
  }

  async stop(): Promise<void> {
    await this.#subscription?.stop();
    this.#subscription = undefined;
  }
}
