import type { Counter, Histogram, Meter } from '@opentelemetry/api';
import { DURATION_BUCKETS_S, seconds } from './instrumentation.js';

/** The instruments every processor records into, told apart by `orrery.processor.name`. */
export const PROCESSOR_METRICS = {
  /** Events a processor handled, by outcome (`orrery.processor.outcome`). */
  events: 'orrery.processor.events',
  /** One batch: read → handled → checkpoint committed, in s. */
  batchDuration: 'orrery.processor.batch.duration',
  /** An event's `recordedAt` → the processor handled it, in s. */
  lag: 'orrery.processor.lag',
} as const;

export const PROCESSOR_ATTRIBUTES = {
  name: 'orrery.processor.name',
  /** What handling an event came to: `handled`, `skipped` (not wanted) or `parked`. */
  outcome: 'orrery.processor.outcome',
} as const;

/**
 * A processor's figures, recorded through an injected meter (the shape of
 * docs/observability.md): one instance per processor, named.
 *
 * @example
 * const metrics = new ProcessorMetrics(instrumentation.meter, 'hint-expiry');
 * metrics.handled('handled', 3);
 * metrics.batch(performance.now() - started, events, Date.now());
 */
export class ProcessorMetrics {
  readonly #events: Counter;
  readonly #batch: Histogram;
  readonly #lag: Histogram;
  readonly #name: { readonly [PROCESSOR_ATTRIBUTES.name]: string };

  constructor(meter: Meter, name: string) {
    const durations = { unit: 's', advice: { explicitBucketBoundaries: [...DURATION_BUCKETS_S] } };
    this.#name = { [PROCESSOR_ATTRIBUTES.name]: name };
    this.#events = meter.createCounter(PROCESSOR_METRICS.events, {
      description: 'Events a processor handled, by outcome',
      unit: '{event}',
    });
    this.#batch = meter.createHistogram(PROCESSOR_METRICS.batchDuration, {
      description: 'Duration of one processor batch, read to checkpoint',
      ...durations,
    });
    this.#lag = meter.createHistogram(PROCESSOR_METRICS.lag, {
      description: 'Time from an event being recorded to a processor handling it',
      ...durations,
    });
  }

  /** `count` events came to `outcome`. */
  handled(outcome: string, count = 1): void {
    if (count > 0)
      this.#events.add(count, { ...this.#name, [PROCESSOR_ATTRIBUTES.outcome]: outcome });
  }

  /** A batch took `ms`; each event's lag is `now − recordedAt` (ms since the epoch). */
  batch(ms: number, events: readonly { readonly recordedAt: string }[], now: number): void {
    this.#batch.record(seconds(ms), this.#name);
    for (const event of events)
      this.#lag.record(seconds(now - Date.parse(event.recordedAt)), this.#name);
  }
}
