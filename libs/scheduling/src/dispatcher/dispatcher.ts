import type { AppendOutcome, AppendRequest, EventStore, QueuePort } from '@orrery/domain';
import type { Logger } from 'pino';
import { SCHEDULE_CHANNEL, type SchedulingDb } from '../db.js';
import type { AppendBatcher } from '../executor/append-batcher.js';
import { notifications, WakeLoop } from '@orrery/postgres';
import { claimDue, deferClaims, nextClaimableAt } from './claim.js';
import { dispatchClaimed, type DispatchSettings } from './dispatch-claimed.js';

export interface DispatcherOptions extends Partial<DispatchSettings> {
  readonly db: SchedulingDb;
  readonly store: EventStore;
  readonly queue: QueuePort;
  readonly log: Logger;
  readonly connectionString: string;
  readonly now?: () => number;
  /** Endpoints claimed per round. Default 200. */
  readonly batchSize?: number;
  /** How long a claim keeps other dispatchers away. Default 5 s. */
  readonly claimTtlMs?: number;
  /** Longest sleep when nothing is due (a safety net; notifications wake it). Default 5 s. */
  readonly maxSleepMs?: number;
  /** Shared group-commit appender (one per process), so dispatches and responses share round trips. */
  readonly batcher?: AppendBatcher;
}

export interface DispatchStats {
  dispatched: number;
  stale: number;
  deferred: number;
  refused: number;
}

/**
 * Claims due endpoints, appends RunDispatched for each (at the claimed stream
 * version, under an idempotency key per run and attempt) and enqueues the
 * execute jobs. Sleeps until the earliest next-due time, or until the
 * projection announces a change, so a hint that moves a run earlier takes
 * effect at once. Any number of dispatchers may run.
 */
export class Dispatcher {
  readonly #loop: WakeLoop;
  readonly #now: () => number;
  readonly #settings: DispatchSettings;
  readonly #append: (request: AppendRequest) => Promise<AppendOutcome>;
  readonly stats: DispatchStats = { dispatched: 0, stale: 0, deferred: 0, refused: 0 };

  constructor(private readonly options: DispatcherOptions) {
    this.#now = options.now ?? Date.now;
    this.#settings = {
      dispatcherId: options.dispatcherId ?? `dispatcher-${process.pid}`,
      leaseMarginMs: options.leaseMarginMs ?? 15_000,
    };
    const { batcher, store } = options;
    this.#append = batcher
      ? (request) => batcher.append(request)
      : async (request) => {
          const [outcome] = await store.appendEach([request]);
          if (!outcome) throw new Error('appendEach returned no outcome');
          return outcome;
        };
    this.#loop = new WakeLoop({
      name: 'dispatcher',
      log: options.log,
      wakeSource: notifications(options.connectionString, SCHEDULE_CHANNEL, 'orrery-dispatcher'),
      tick: () => this.tick(),
    });
  }

  #running = false;

  start = () => {
    this.#running = true;
    return this.#loop.start();
  };

  /** Stops after the batch in hand (a backlog of due rows does not hold it up). */
  stop = () => {
    this.#running = false;
    return this.#loop.stop();
  };
  wake = () => this.#loop.wake();

  /** One round: dispatch everything due; returns ms until the next claimable time. */
  async tick(): Promise<number> {
    const { db, store, queue, log } = this.options;
    const batchSize = this.options.batchSize ?? 200;
    while (this.#running) {
      const now = this.#now();
      const claimed = await claimDue(db, now, this.options.claimTtlMs ?? 5_000, batchSize);
      if (claimed.length === 0) break;
      const round = await dispatchClaimed(claimed, now, {
        store,
        append: this.#append,
        settings: this.#settings,
      });
      for (const refusal of round.refusals) log.warn(refusal, 'dispatch refused by the decider');
      const { messages } = round;
      // The log is the truth: a crash between append and enqueue is recovered
      // when the lease lapses and the same run is dispatched again.
      if (messages.length > 0) await queue.enqueue('execute', messages);
      await deferClaims(db, round.deferrals);
      this.stats.dispatched += messages.length;
      this.stats.stale +=
        claimed.length - messages.length - round.deferrals.length - round.refusals.length;
      this.stats.deferred += round.deferrals.length;
      this.stats.refused += round.refusals.length;
      if (messages.length > 0) log.debug({ dispatched: messages.length }, 'dispatched');
      if (claimed.length < batchSize) break;
    }
    const next = await nextClaimableAt(db);
    const maxSleep = this.options.maxSleepMs ?? 5_000;
    return next === null ? maxSleep : Math.min(Math.max(next - this.#now(), 0), maxSleep);
  }
}
