import type {
  BatchObservableCallback,
  Meter,
  Observable,
  ObservableGauge,
} from '@opentelemetry/api';
import type { Millis, QueueName, QueuePort } from '@orrery/domain';
import { seconds } from '@orrery/telemetry';

/** The queue's backlog, observed when a reader collects (never on the hot path). */
export const QUEUE_METRICS = {
  /** Jobs by state (`orrery.queue.state`: `waiting`, `active`, `delayed`). */
  jobs: 'orrery.queue.jobs',
  /** How long the oldest waiting job has waited, in s (0 when none waits). */
  oldestAge: 'orrery.queue.oldest_waiting.age',
} as const;

export const QUEUE_ATTRIBUTES = {
  name: 'orrery.queue.name',
  state: 'orrery.queue.state',
} as const;

/**
 * Observable gauges of a queue's depth and age, read from {@link QueuePort.stats} once per
 * collection (a no-op meter never collects, so it costs nothing then). `close` stops observing.
 *
 * @example
 * const metrics = new QueueMetrics(instrumentation.meter, queue, ['execute'], Date.now);
 * // … on stop:
 * metrics.close();
 */
export class QueueMetrics {
  readonly #meter: Meter;
  readonly #observables: Observable[];
  readonly #callback: BatchObservableCallback;

  constructor(meter: Meter, queue: QueuePort, names: readonly QueueName[], now: () => Millis) {
    this.#meter = meter;
    const jobs: ObservableGauge = meter.createObservableGauge(QUEUE_METRICS.jobs, {
      description: 'Jobs in a queue, by state',
      unit: '{job}',
    });
    const age: ObservableGauge = meter.createObservableGauge(QUEUE_METRICS.oldestAge, {
      description: 'How long the oldest waiting job of a queue has waited',
      unit: 's',
    });
    this.#observables = [jobs, age];
    this.#callback = async (result) => {
      for (const name of names) {
        const stats = await queue.stats(name);
        const queueName = { [QUEUE_ATTRIBUTES.name]: name };
        for (const state of ['waiting', 'active', 'delayed'] as const) {
          result.observe(jobs, stats[state], { ...queueName, [QUEUE_ATTRIBUTES.state]: state });
        }
        const oldest = stats.oldestWaitingAt;
        result.observe(age, oldest === null ? 0 : seconds(now() - oldest), queueName);
      }
    };
    meter.addBatchObservableCallback(this.#callback, this.#observables);
  }

  close(): void {
    this.#meter.removeBatchObservableCallback(this.#callback, this.#observables);
  }
}
