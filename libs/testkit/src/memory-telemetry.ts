import {
  AggregationTemporality,
  AggregationType,
  InstrumentType,
  MeterProvider,
  MetricReader,
} from '@opentelemetry/sdk-metrics';
import {
  BasicTracerProvider,
  InMemorySpanExporter,
  SimpleSpanProcessor,
  type ReadableSpan,
} from '@opentelemetry/sdk-trace-base';
import { INSTRUMENTATION_SCOPE, type Instrumentation } from '@orrery/telemetry';
import { MetricsSnapshot } from './metrics-snapshot.js';

/**
 * Histogram boundaries 4 % apart from 10 µs to 100 000 (seconds or counts): a percentile read
 * from them is within 2 % of the exact one, where the advised (operator) boundaries are coarse.
 */
const FINE_BOUNDARIES: number[] = (() => {
  const bounds: number[] = [];
  for (let v = 1e-5; v < 1e5; v *= 1.04) bounds.push(Number(v.toPrecision(6)));
  return bounds;
})();

/** A reader collected on demand, with fine histogram boundaries. */
class OnDemandReader extends MetricReader {
  constructor(temporality: AggregationTemporality) {
    super({
      aggregationSelector: (type) =>
        type === InstrumentType.HISTOGRAM
          ? {
              type: AggregationType.EXPLICIT_BUCKET_HISTOGRAM,
              options: { boundaries: FINE_BOUNDARIES },
            }
          : { type: AggregationType.DEFAULT },
      aggregationTemporalitySelector: () => temporality,
    });
  }

  async snapshot(): Promise<MetricsSnapshot> {
    const { resourceMetrics } = await this.collect();
    return new MetricsSnapshot(resourceMetrics);
  }

  protected override async onForceFlush(): Promise<void> {}
  protected override async onShutdown(): Promise<void> {}
}

/**
 * An OpenTelemetry SDK kept in memory, for tests and benchmarks: pass `instrumentation` to the
 * components, then read what they recorded — the same instruments an operator's exporter gets.
 *
 * @example
 * const telemetry = new MemoryTelemetry();
 * const store = createPostgresEventStore({ connectionString, instrumentation: telemetry.instrumentation });
 * await store.append(...);
 * (await telemetry.totals()).sum('orrery.event_store.append.requests', { 'orrery.append.outcome': 'appended' });
 */
export class MemoryTelemetry {
  readonly instrumentation: Instrumentation;
  readonly #totals = new OnDemandReader(AggregationTemporality.CUMULATIVE);
  readonly #windows = new Map<string, OnDemandReader>();
  readonly #spans = new InMemorySpanExporter();
  readonly #meters: MeterProvider;
  readonly #tracers: BasicTracerProvider;

  /**
   * @param windows names of independent windows (each its own delta reader, so a status line
   *   read every second does not disturb a measured window). Default: one, `window`.
   */
  constructor(windows: readonly string[] = ['window']) {
    for (const name of windows) {
      this.#windows.set(name, new OnDemandReader(AggregationTemporality.DELTA));
    }
    this.#meters = new MeterProvider({ readers: [this.#totals, ...this.#windows.values()] });
    this.#tracers = new BasicTracerProvider({
      spanProcessors: [new SimpleSpanProcessor(this.#spans)],
    });
    this.instrumentation = {
      tracer: this.#tracers.getTracer(INSTRUMENTATION_SCOPE),
      meter: this.#meters.getMeter(INSTRUMENTATION_SCOPE),
    };
  }

  /** Everything recorded since this was built. */
  totals(): Promise<MetricsSnapshot> {
    return this.#totals.snapshot();
  }

  /** What was recorded since the previous call for `name` (the first: since this was built). */
  window(name = 'window'): Promise<MetricsSnapshot> {
    const reader = this.#windows.get(name);
    if (!reader) throw new Error(`no window "${name}": name it when building MemoryTelemetry`);
    return reader.snapshot();
  }

  /** Spans ended so far. */
  spans(): readonly ReadableSpan[] {
    return this.#spans.getFinishedSpans();
  }

  async shutdown(): Promise<void> {
    await this.#meters.shutdown();
    await this.#tracers.shutdown();
  }
}
