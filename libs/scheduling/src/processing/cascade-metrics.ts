import type { Histogram, Meter } from '@opentelemetry/api';
import { DURATION_BUCKETS_S, seconds } from '@orrery/telemetry';

/** The cascade processor's figures. */
export const CASCADE_METRICS = {
  /** Upstream `ResponseRecorded` recorded → the downstream's `CascadeTriggered` appended, in s. */
  hopDuration: 'orrery.cascade.hop.duration',
} as const;

export const CASCADE_ATTRIBUTES = {
  /**
   * `direct`: the run was dispatched in the same append and enqueued (the figure includes the
   * enqueue); `deferred`: the trigger is in the log and the dispatcher dispatches the run.
   */
  dispatch: 'orrery.cascade.dispatch',
} as const;

/**
 * The latency of a cascade's hop, through an injected meter: one figure per trigger that fires.
 *
 * @example
 * const metrics = new CascadeMetrics(instrumentation.meter);
 * metrics.hop(upstream.recordedAt, true, Date.now());
 */
export class CascadeMetrics {
  readonly #hop: Histogram;

  constructor(meter: Meter) {
    this.#hop = meter.createHistogram(CASCADE_METRICS.hopDuration, {
      description: 'Time from an upstream response being recorded to the cascade it fires',
      unit: 's',
      advice: { explicitBucketBoundaries: [...DURATION_BUCKETS_S] },
    });
  }

  /** A trigger fired at `now` (ms) from a response recorded at `recordedAt` (ISO). */
  hop(recordedAt: string, direct: boolean, now: number): void {
    this.#hop.record(seconds(now - Date.parse(recordedAt)), {
      [CASCADE_ATTRIBUTES.dispatch]: direct ? 'direct' : 'deferred',
    });
  }
}
