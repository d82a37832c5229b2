/**
 * The three ways a process can run with respect to tracing, set up and torn down in turn in
 * this one process:
 *
 * - `off`: what a service runs when no `OTEL_*` variable is set — no SDK, so the global tracer
 *   (`globalInstrumentation()`) is a no-op and the context manager is the API's no-op one.
 * - `sampled`: the OpenTelemetry Node SDK as `startTelemetry` builds it, configured by the
 *   `OTEL_*` variables an operator sets — OTLP/HTTP (protobuf) export through the default
 *   BatchSpanProcessor to a loopback sink, sampler `parentbased_always_on` (the default),
 *   undici instrumentation, AsyncLocalStorage context manager.
 * - `unsampled`: the same SDK with `OTEL_TRACES_SAMPLER=always_off`: everything registered,
 *   nothing recorded or exported.
 *
 * `startTelemetry` (libs/telemetry/src/sdk.ts) cannot be used as it is: its shutdown flushes and
 * stops the providers but leaves the globals registered and the undici instrumentation
 * subscribed, so a later `off` round would not be off. This builds the same `NodeSDK` (same
 * options, `createUndiciInstrumentation`, the same variables read from the environment) and
 * keeps what it needs to undo it all.
 */
import { context, createContextKey, propagation, ROOT_CONTEXT, trace } from '@opentelemetry/api';
import type { Tracer } from '@opentelemetry/api';
import { logs } from '@opentelemetry/api-logs';
import { NodeSDK } from '@opentelemetry/sdk-node';
import {
  createUndiciInstrumentation,
  globalInstrumentation,
  telemetrySignals,
} from '@orrery/telemetry';

export const TRACING_MODES = ['off', 'sampled', 'unsampled'] as const;
export type TracingMode = (typeof TRACING_MODES)[number];

export const MODE_LABELS: Record<TracingMode, string> = {
  off: 'a: tracing off (no SDK)',
  sampled: 'b: SDK, sampled, OTLP/HTTP export',
  unsampled: 'c: SDK, sampler always_off',
};

export interface ModeSession {
  readonly mode: TracingMode;
  /** The tracer the runtime gets: the global one, as a service's `globalInstrumentation()`. */
  readonly tracer: Tracer;
  /** The `OTEL_*` variables this mode ran with. */
  readonly env: Readonly<Record<string, string>>;
  /** Flushes what the SDK buffered (exported to the sink) and undoes every registration. */
  stop(): Promise<void>;
}

/** What an operator would set for each mode (`endpoint`: the loopback sink). */
export function modeEnv(mode: TracingMode, endpoint: string): Record<string, string> {
  if (mode === 'off') return {};
  return {
    OTEL_TRACES_EXPORTER: 'otlp',
    OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: endpoint,
    OTEL_EXPORTER_OTLP_TRACES_PROTOCOL: 'http/protobuf',
    OTEL_METRICS_EXPORTER: 'none',
    OTEL_TRACES_SAMPLER: mode === 'sampled' ? 'parentbased_always_on' : 'always_off',
  };
}

const PROBE = createContextKey('orrery bench probe');

/** Whether the process has no tracing SDK at all: no recording tracer, no context manager. */
export function tracingIsOff(): boolean {
  const span = trace.getTracer('orrery-bench-probe').startSpan('probe');
  const recording = span.isRecording();
  span.end();
  const propagates = context.with(ROOT_CONTEXT.setValue(PROBE, 1), () =>
    context.active().getValue(PROBE),
  );
  return !recording && propagates === undefined;
}

/** Runs `fn` with exactly `vars` as the process's `OTEL_*` variables, then puts them back. */
function withOtelEnv<T>(vars: Record<string, string>, fn: () => T): T {
  const saved = Object.entries(process.env).filter(([k]) => k.startsWith('OTEL_'));
  for (const [k] of saved) delete process.env[k];
  Object.assign(process.env, vars);
  try {
    return fn();
  } finally {
    for (const k of Object.keys(vars)) delete process.env[k];
    for (const [k, v] of saved) process.env[k] = v;
  }
}

export function startMode(mode: TracingMode, endpoint: string): ModeSession {
  if (!tracingIsOff()) throw new Error(`tracing is still on before the ${mode} round`);
  const env = modeEnv(mode, endpoint);
  if (mode === 'off') {
    return { mode, env, tracer: globalInstrumentation().tracer, stop: async () => {} };
  }
  const signals = telemetrySignals(env);
  if (!signals.traces || signals.metrics) {
    throw new Error(
      `mode ${mode}: startTelemetry would not trace (and only trace) under ${JSON.stringify(env)}`,
    );
  }
  const undici = createUndiciInstrumentation();
  // As startTelemetry builds it with traces on and metrics off; the SDK reads the rest (exporter,
  // endpoint, protocol, sampler, batch processor limits) from the environment at start.
  const sdk = withOtelEnv(env, () => {
    const built = new NodeSDK({
      serviceName: 'orrery-bench',
      metricReaders: [],
      logRecordProcessors: [],
      instrumentations: [undici],
    });
    built.start();
    return built;
  });
  let stopping: Promise<void> | undefined;
  return {
    mode,
    env,
    tracer: globalInstrumentation().tracer,
    stop: () =>
      (stopping ??= (async () => {
        await sdk.shutdown();
        undici.disable();
        trace.disable();
        context.disable();
        propagation.disable();
        logs.disable();
      })()),
  };
}
