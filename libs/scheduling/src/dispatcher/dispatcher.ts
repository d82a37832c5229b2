import type { AppendOutcome, AppendRequest, EventStore, QueuePort } from '@orrery/domain';
import { endSpan, noopInstrumentation, type Instrumentation } from '@orrery/telemetry';
import type { Tracer } from '@opentelemetry/api';
import type { Logger } from 'pino';
import { SCHEDULE_CHANNEL, type SchedulingDb } from '../db.js';
import type { AppendBatcher } from '../executor/append-batcher.js';
import { notifications, WakeLoop } from '@orrery/postgres';
import { claimDue, deferClaims, nextClaimableAt } from './claim.js';
import { dispatchClaimed, type DispatchRound, type DispatchSettings } from './dispatch-claimed.js';
import { DispatcherMetrics, type DispatchOutcome } from './dispatcher-metrics.js';

export interface DispatcherOptions extends Partial<DispatchSettings> {
  readonly db: SchedulingDb;
  readonly store: EventStore;
  readonly queue: QueuePort;
  readonly log: Logger;
  readonly connectionString: string;
  readonly now?: () => number;
  /**
   * Dispatch ahead: runs due within this many ms are claimed and dispatched now, and the
   * executor starts each call at its time (never before). Default 0 (only runs already due);
   * the services default to `DISPATCH_AHEAD_MS` (see docs/scheduling.md).
   */
  readonly aheadMs?: number;
  /** Endpoints claimed per round. Default 200. */
  readonly batchSize?: number;
  /** How long a claim keeps other dispatchers away. Default 5 s. */
  readonly claimTtlMs?: number;
  /** Longest sleep when nothing is due (a safety net; notifications wake it). Default 5 s. */
  readonly maxSleepMs?: number;
  /** Shared group-commit appender (one per process), so dispatches and responses share round trips. */
  readonly batcher?: AppendBatcher;
  /** Tracer and meter for rounds and runs (see docs/observability.md). Default: no-ops. */
  readonly instrumentation?: Instrumentation;
}

/**
 * Claims due endpoints, appends RunDispatched for each (at the claimed stream
 * version, under an idempotency key per run and attempt) and enqueues the
 * execute jobs. Sleeps until the earliest next-due time, or until the
 * projection announces a change, so a hint that moves a run earlier takes
 * effect at once. Any number of dispatchers may run.
 *
 * Each round is a span (`orrery.dispatcher.round`) and records `orrery.dispatcher.*`: claims by
 * outcome, round duration and size, dispatch lateness, enqueue duration.
 */
export class Dispatcher {
  readonly #loop: WakeLoop;
  readonly #now: () => number;
  readonly #settings: DispatchSettings;
  readonly #append: (request: AppendRequest) => Promise<AppendOutcome>;
  readonly #tracer: Tracer;
  readonly #metrics: DispatcherMetrics;

  constructor(private readonly options: DispatcherOptions) {
    this.#now = options.now ?? Date.now;
    const { tracer, meter } = options.instrumentation ?? noopInstrumentation;
    this.#tracer = tracer;
    this.#metrics = new DispatcherMetrics(meter);
    this.#settings = {
      dispatcherId: options.dispatcherId ?? `dispatcher-${process.pid}`,
      leaseMarginMs: options.leaseMarginMs ?? 15_000,
      aheadMs: Math.max(0, options.aheadMs ?? 0),
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

  /** Dispatches everything due, round after round; returns ms until the next claimable time. */
  async tick(): Promise<number> {
    const batchSize = this.options.batchSize ?? 200;
    while (this.#running) {
      const claimed = await this.#round(batchSize);
      if (claimed < batchSize) break;
    }
    const next = await nextClaimableAt(this.options.db);
    const maxSleep = this.options.maxSleepMs ?? 5_000;
    // A row is claimable `aheadMs` before it is due.
    const wakeAt = next === null ? null : next - this.#settings.aheadMs;
    return wakeAt === null ? maxSleep : Math.min(Math.max(wakeAt - this.#now(), 0), maxSleep);
  }

  /** One round: claims up to `batchSize` due endpoints and dispatches them; returns how many it claimed. */
  async #round(batchSize: number): Promise<number> {
    const { db, store, queue, log } = this.options;
    const started = performance.now();
    const now = this.#now();
    const claimTtlMs = this.options.claimTtlMs ?? 5_000;
    const claimed = await claimDue(db, now, claimTtlMs, batchSize, this.#settings.aheadMs);
    if (claimed.length === 0) return 0; // an idle tick: no span, no figures
    const span = this.#tracer.startSpan('orrery.dispatcher.round', {
      startTime: started,
      attributes: { 'orrery.dispatch.claimed': claimed.length },
    });
    try {
      const round = await dispatchClaimed(claimed, now, {
        store,
        append: this.#append,
        settings: this.#settings,
        tracer: this.#tracer,
        round: span.spanContext(),
      });
      // A conflict is a job that moved since the row was written: the projection rewrites it.
      for (const refusal of round.refusals) {
        if (refusal.code !== 'conflict') log.warn(refusal, 'dispatch refused by the decider');
      }
      const { messages } = round;
      // The log is the truth: a crash between append and enqueue is recovered
      // when the lease lapses and the same run is dispatched again.
      if (messages.length > 0) {
        const enqueueing = performance.now();
        await queue.enqueue('execute', messages);
        this.#metrics.enqueued(performance.now() - enqueueing);
      }
      await deferClaims(db, round.deferrals);
      for (const { data } of messages) {
        // A run dispatched ahead records its lead (startAt − dispatch) and no lateness.
        const dispatchedAt = Date.parse(data.dispatchedAt);
        if (data.startAt === undefined) {
          this.#metrics.dispatched(dispatchedAt - Date.parse(data.scheduledFor));
        } else {
          this.#metrics.dispatchedAhead(Date.parse(data.startAt) - dispatchedAt);
        }
      }
      const outcomes = outcomesOf(claimed.length, round);
      this.#metrics.round(performance.now() - started, claimed.length, outcomes);
      span.setAttribute('orrery.dispatch.dispatched', outcomes.dispatched);
      if (messages.length > 0) log.debug({ dispatched: messages.length }, 'dispatched');
      endSpan(span);
      return claimed.length;
    } catch (error) {
      endSpan(span, error);
      throw error;
    }
  }
}

/** What became of a round's claims (the rest of `claimed` was superseded by newer events). */
function outcomesOf(claimed: number, round: DispatchRound): Record<DispatchOutcome, number> {
  const conflict = round.refusals.filter((r) => r.code === 'conflict').length;
  const counted = {
    dispatched: round.messages.length,
    deferred: round.deferrals.length,
    refused: round.refusals.length - conflict,
    conflict,
  };
  const superseded = claimed - Object.values(counted).reduce((a, b) => a + b, 0);
  return { ...counted, superseded };
}
