import {
  endpointDecider,
  foldWith,
  jobDecider,
  parseEndpointStream,
  parseJobStream,
  type Decider,
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
  /** Told of each failure of the subscription (it restarts by itself from the checkpoint). */
  readonly onFailure?: (error: unknown) => void;
}

/**
 * Follows the log from its checkpoint and keeps the scheduling read models
 * (schedule, runs). Each batch and the checkpoint commit in one transaction,
 * so after a crash the projection resumes exactly where it left off.
 */
export class SchedulingProjection {
  #subscription: Subscription | undefined;
  #running = false;
  #failures = 0;
  #retry: NodeJS.Timeout | undefined;
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
    this.#running = true;
    await this.#follow();
  }

  /**
   * Subscribes from the stored checkpoint. When the subscription fails (the
   * database restarted, a connection dropped), it starts again from the
   * checkpoint after a growing pause (1 s up to 30 s): nothing is lost or
   * applied twice, because batches and checkpoint commit together.
   */
  async #follow(): Promise<void> {
    const after = await this.checkpoint();
    this.options.log.info({ projection: this.#name, after }, 'projection following the log');
    this.#subscription = this.options.store.subscribe({
      after,
      batchSize: this.options.batchSize ?? 500,
      onEvents: async (events) => {
        await this.apply(events);
        this.#failures = 0;
      },
      onError: (error) => {
        this.options.onFailure?.(error);
        this.#retryLater(error);
      },
    });
  }

  /** After a failure (of the subscription, or of reading the checkpoint), resume later. */
  #retryLater(error: unknown): void {
    if (!this.#running) return;
    const delay = Math.min(1000 * 2 ** this.#failures++, 30_000);
    this.options.log.error(
      { err: error, projection: this.#name, retryInMs: delay },
      'projection stopped; resuming from the checkpoint',
    );
    this.#retry = setTimeout(() => {
      this.#follow().catch((failure: unknown) => this.#retryLater(failure));
    }, delay);
  }

  /** Applies one batch of log events (exposed for rebuilds and tests). */
  async apply(events: readonly RecordedEvent[]): Promise<void> {
    const last = events.at(-1);
    if (!last) return;
    const streams = (parse: (id: string) => unknown) => [
      ...new Set(events.map((e) => e.streamId).filter((id) => parse(id) !== null)),
    ];
    await this.options.db.transaction().execute(async (trx) => {
      const endpoints = await loadStates(trx, streams(parseEndpointStream));
      const jobs = await loadJobStates(trx, streams(parseJobStream));
      await this.#refold(endpointDecider, endpoints, events);
      await this.#refold(jobDecider, jobs, events);
      const batch = foldBatch(endpoints.states, events);
      await writeJobs(trx, foldJobs(jobs.states, events));
      await writeBatch(trx, this.#name, batch, last.position);
    });
  }

  /**
   * Folds again, from the log, the streams whose stored state has another schema version: up to
   * (not including) their first event in this batch, which the batch then applies.
   */
  async #refold<S extends { readonly version: number }>(
    decider: Decider<S, never>,
    loaded: { states: Map<string, S>; stale: readonly string[] },
    batch: readonly RecordedEvent[],
  ): Promise<void> {
    for (const streamId of loaded.stale) {
      const first = batch.find((e) => e.streamId === streamId)?.position ?? Infinity;
      const history = await this.options.store.readStream(streamId);
      loaded.states.set(
        streamId,
        foldWith(
          decider,
          history.filter((e) => e.position < first),
        ),
      );
    }
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
    this.#running = false;
    clearTimeout(this.#retry);
    await this.#subscription?.stop();
    this.#subscription = undefined;
  }
}
