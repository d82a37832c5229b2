import {
  createNoopMeter,
  metrics,
  ProxyTracer,
  trace,
  type Meter,
  type Tracer,
} from '@opentelemetry/api';

/**
 * The tracer and meter a component records through. Every component that does work worth
 * watching (the event store, the dispatcher, the executor, processors) takes one as its
 * `instrumentation` option, defaulting to {@link noopInstrumentation}; the process that wires
 * the components decides where the figures go. A benchmark passes a meter of its own and reads
 * the same instruments an operator would.
 *
 * @example
 * const reader = new InMemoryMetricExporter(...); // any MetricReader
 * const meter = new MeterProvider({ readers: [reader] }).getMeter('orrery');
 * const store = createPostgresEventStore({ connectionString, instrumentation: { tracer, meter } });
 */
export interface Instrumentation {
  readonly tracer: Tracer;
  readonly meter: Meter;
}

/** The name components announce to a provider (instrumentation scope). */
export const INSTRUMENTATION_SCOPE = 'orrery';

/** Records nothing and ignores any globally registered SDK: the default of every component. */
export const noopInstrumentation: Instrumentation = Object.freeze({
  // A proxy with no delegate is OpenTelemetry's no-op tracer: spans record nothing but still
  // carry a parent's context, so a `traceparent` passed through a no-op span is kept as it is.
  tracer: new ProxyTracer({ getDelegateTracer: () => undefined }, INSTRUMENTATION_SCOPE),
  meter: createNoopMeter(),
});

/**
 * The globally registered tracer and meter (`@opentelemetry/api`'s `trace` and `metrics`): a
 * no-op until the process registers an SDK (e.g. `node --import` of an OpenTelemetry setup
 * file). Services wire this, so an operator turns telemetry on without a code change.
 */
export function globalInstrumentation(scope = INSTRUMENTATION_SCOPE): Instrumentation {
  return { tracer: trace.getTracer(scope), meter: metrics.getMeter(scope) };
}

/**
 * Bucket boundaries, in seconds, advised for every duration histogram: fine below 10 ms
 * (appends, lock holds), coarse past a second (HTTP calls, lateness under load).
 */
export const DURATION_BUCKETS_S: readonly number[] = [
  0.0005, 0.001, 0.0025, 0.005, 0.0075, 0.01, 0.025, 0.05, 0.075, 0.1, 0.25, 0.5, 0.75, 1, 2.5, 5,
  10, 30, 60,
];

/** Bucket boundaries advised for batch-size histograms (requests, runs, events per call). */
export const SIZE_BUCKETS: readonly number[] = [1, 2, 5, 10, 20, 50, 100, 200, 500, 1000, 5000];

/** Milliseconds as the seconds OpenTelemetry durations are recorded in; never negative. */
export const seconds = (ms: number): number => Math.max(0, ms) / 1000;
