import { trace, type Attributes, type Span } from '@opentelemetry/api';
import { UndiciInstrumentation, type UndiciRequest } from '@opentelemetry/instrumentation-undici';
import { NodeSDK } from '@opentelemetry/sdk-node';

export interface TelemetryOptions {
  /** `service.name` of the process (`orrery-api`, …); `OTEL_SERVICE_NAME` overrides it. */
  readonly serviceName: string;
  /** The environment to read the `OTEL_*` variables from. Default: `process.env`. */
  readonly env?: NodeJS.ProcessEnv;
}

/** Flushes what is buffered and stops the SDK; resolves at once when none was started. */
export type TelemetryShutdown = () => Promise<void>;

type Env = NodeJS.ProcessEnv;

const set = (env: Env, name: string) => (env[name]?.trim() ?? '') !== '';

/** The exporters an `OTEL_<SIGNAL>S_EXPORTER` variable names (empty when unset). */
const exporters = (env: Env, name: string) =>
  (env[name] ?? '')
    .split(',')
    .map((v) => v.trim().toLowerCase())
    .filter((v) => v !== '' && v !== 'null');

/**
 * Whether a signal is exported: its exporter variable names one (not `none`), or an OTLP
 * endpoint is set for it (or for every signal). Unlike the SDK's own default (OTLP to
 * localhost:4318 when nothing is set), nothing set means off.
 */
function signalOn(env: Env, signal: 'TRACES' | 'METRICS'): boolean {
  const named = exporters(env, `OTEL_${signal}_EXPORTER`);
  if (named.includes('none')) return false;
  if (named.length > 0) return true;
  return (
    set(env, 'OTEL_EXPORTER_OTLP_ENDPOINT') || set(env, `OTEL_EXPORTER_OTLP_${signal}_ENDPOINT`)
  );
}

/** Which signals `startTelemetry` would export under `env` (both false: no SDK at all). */
export function telemetrySignals(env: Env = process.env): {
  readonly traces: boolean;
  readonly metrics: boolean;
} {
  const disabled = (env['OTEL_SDK_DISABLED'] ?? '').trim().toLowerCase() === 'true';
  if (disabled) return { traces: false, metrics: false };
  return { traces: signalOn(env, 'TRACES'), metrics: signalOn(env, 'METRICS') };
}

/**
 * Span attributes of an outgoing undici request that replace the instrumentation's own: the
 * origin only, never the path or the query (a target's URL may carry secrets).
 */
function redactedUrl(request: UndiciRequest): Attributes {
  return { 'url.full': request.origin, 'url.path': undefined, 'url.query': undefined };
}

/**
 * Drops a `traceparent` the caller set itself (the executor sets its call span's), so the
 * instrumentation's — its HTTP span's, a child of the call span in the same trace — is the
 * only one the target receives (two would be joined into one invalid value).
 */
function dropOwnTraceparent(span: Span, request: UndiciRequest): void {
  const { headers } = request;
  // Without a valid span the instrumentation injects nothing: the caller's value stays.
  if (!trace.isSpanContextValid(span.spanContext()) || !Array.isArray(headers)) return;
  for (let i = headers.length - 2; i >= 0; i -= 2) {
    const name = headers[i];
    if (typeof name === 'string' && name.toLowerCase() === 'traceparent') headers.splice(i, 2);
  }
}

/**
 * Spans of outgoing undici requests (the executor's calls), children of the span active where
 * the request starts: the URL's origin only on them, never its path or query; the target
 * receives the request span's `traceparent` (in place of the caller's own). A request outside
 * any span (the planner's model calls) makes no span. {@link startTelemetry} registers it.
 */
export function createUndiciInstrumentation(): UndiciInstrumentation {
  return new UndiciInstrumentation({
    requireParentforSpans: true,
    startSpanHook: redactedUrl,
    requestHook: dropOwnTraceparent,
  });
}

/**
 * Starts the OpenTelemetry Node SDK for a service, configured by the standard `OTEL_*`
 * variables: OTLP export of traces and metrics (`OTEL_EXPORTER_OTLP_ENDPOINT`,
 * `OTEL_EXPORTER_OTLP_PROTOCOL`, `OTEL_TRACES_EXPORTER`, `OTEL_METRICS_EXPORTER`,
 * `OTEL_METRIC_EXPORT_INTERVAL`, `OTEL_TRACES_SAMPLER`, `OTEL_RESOURCE_ATTRIBUTES`, …), and
 * spans of outgoing undici requests. Call it first in a service's main, before any component
 * takes {@link globalInstrumentation}, and await the returned function when the service stops.
 *
 * Off unless asked: with no exporter and no OTLP endpoint set, or `OTEL_SDK_DISABLED=true`, no
 * SDK starts (the global tracer and meter stay no-ops) and the shutdown does nothing. A signal
 * with neither its exporter nor an endpoint set is not exported even when the other is. Logs
 * stay on stdout (pino); the SDK exports none.
 *
 * @example
 * const shutdown = startTelemetry({ serviceName: 'orrery-executor' });
 * // … run the service …
 * await shutdown(); // flushes spans and metrics
 */
export function startTelemetry(options: TelemetryOptions): TelemetryShutdown {
  const env = options.env ?? process.env;
  const { traces, metrics } = telemetrySignals(env);
  if (!traces && !metrics) return async () => {};
  const serviceName = env['OTEL_SERVICE_NAME']?.trim() || options.serviceName;
  const sdk = new NodeSDK({
    serviceName,
    // Empty lists switch a signal off; undefined lets the SDK build it from the environment.
    ...(traces ? {} : { spanProcessors: [] }),
    ...(metrics ? {} : { metricReaders: [] }),
    logRecordProcessors: [],
    instrumentations: [createUndiciInstrumentation()],
  });
  sdk.start();
  let stopping: Promise<void> | undefined;
  return () => (stopping ??= sdk.shutdown());
}
