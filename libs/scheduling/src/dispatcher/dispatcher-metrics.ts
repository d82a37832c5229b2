import type { Counter, Histogram, Meter } from '@opentelemetry/api';
import { DURATION_BUCKETS_S, seconds, SIZE_BUCKETS } from '@orrery/telemetry';

/** The dispatcher's instruments (see docs/observability.md). */
export const DISPATCHER_METRICS = {
  /** Claimed endpoints by what became of them (`orrery.dispatch.outcome`). */
  claims: 'orrery.dispatcher.claims',
  /** One round: claim, decide and append, enqueue, defer; in s. */
  roundDuration: 'orrery.dispatcher.round.duration',
  /** Endpoints claimed in one round. */
  roundSize: 'orrery.dispatcher.round.size',
  /**
   * Slot → dispatch (the round's clock), per run dispatched once due, in s: `runs.lateness_ms`.
   * A run dispatched ahead records `lead` instead.
   */
  lateness: 'orrery.dispatcher.lateness',
  /** Dispatch → the run's `startAt`, per run dispatched ahead, in s: how far ahead it went. */
  lead: 'orrery.dispatcher.lead',
  /** One enqueue of a round's execute jobs, in s. */
  enqueueDuration: 'orrery.dispatcher.enqueue.duration',
} as const;

/** What became of a claimed endpoint. */
export type DispatchOutcome =
  /** RunDispatched appended and the execute job enqueued. */
  | 'dispatched'
  /** Not due after all: the claim is pushed to the next due time. */
  | 'deferred'
  /** The decider refused the Dispatch command (logged). */
  | 'refused'
  /** The stream kept changing under concurrent writers; tried again later. */
  | 'conflict'
  /** The row was behind the log (a duplicate, or newer events): the projection rewrites it. */
  | 'superseded';

export const DISPATCH_OUTCOME = 'orrery.dispatch.outcome';

/** Records the dispatcher's figures through one meter. */
export class DispatcherMetrics {
  readonly #claims: Counter;
  readonly #round: Histogram;
  readonly #size: Histogram;
  readonly #lateness: Histogram;
  readonly #lead: Histogram;
  readonly #enqueue: Histogram;

  constructor(meter: Meter) {
    const durations = { unit: 's', advice: { explicitBucketBoundaries: [...DURATION_BUCKETS_S] } };
    const M = DISPATCHER_METRICS;
    this.#claims = meter.createCounter(M.claims, {
      description: 'Claimed endpoints, by what became of them',
      unit: '{claim}',
    });
    this.#round = meter.createHistogram(M.roundDuration, {
      description: 'Duration of one dispatch round: claim, append, enqueue, defer',
      ...durations,
    });
    this.#size = meter.createHistogram(M.roundSize, {
      description: 'Endpoints claimed in one dispatch round',
      unit: '{endpoint}',
      advice: { explicitBucketBoundaries: [...SIZE_BUCKETS] },
    });
    this.#lateness = meter.createHistogram(M.lateness, {
      description: "Time from a run's slot to its dispatch",
      ...durations,
    });
    this.#lead = meter.createHistogram(M.lead, {
      description: "Time from a run's dispatch ahead to the time its call starts",
      ...durations,
    });
    this.#enqueue = meter.createHistogram(M.enqueueDuration, {
      description: "Duration of one enqueue of a round's execute jobs",
      ...durations,
    });
  }

  round(ms: number, claimed: number, outcomes: Readonly<Record<DispatchOutcome, number>>): void {
    this.#round.record(seconds(ms));
    this.#size.record(claimed);
    for (const [outcome, n] of Object.entries(outcomes)) {
      if (n > 0) this.#claims.add(n, { [DISPATCH_OUTCOME]: outcome });
    }
  }

  dispatched(lateMs: number): void {
    this.#lateness.record(seconds(lateMs));
  }

  dispatchedAhead(leadMs: number): void {
    this.#lead.record(seconds(leadMs));
  }

  enqueued(ms: number): void {
    this.#enqueue.record(seconds(ms));
  }
}
