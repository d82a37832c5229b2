import { context, isSpanContextValid, trace } from '@opentelemetry/api';
import pino, { type Logger } from 'pino';

/**
 * The ids of the span active where a line is logged (`trace_id`, `span_id`, `trace_flags` as
 * in the W3C `traceparent`), so a log line finds its trace; nothing outside a span. Without an
 * OpenTelemetry SDK nothing is ever active and this costs one lookup per line.
 */
export function traceFields(): Readonly<Record<string, string>> {
  const span = trace.getSpan(context.active());
  if (span === undefined) return {}; // a new object: pino merges the line's fields into it
  const { traceId, spanId, traceFlags } = span.spanContext();
  if (!isSpanContextValid({ traceId, spanId, traceFlags })) return {};
  return {
    trace_id: traceId,
    span_id: spanId,
    trace_flags: (traceFlags & 0xff).toString(16).padStart(2, '0'),
  };
}

/**
 * Structured JSON logs (pino), one logger per service, named. A line logged inside an active
 * span carries its `trace_id`, `span_id` and `trace_flags` (see {@link traceFields}).
 */
export function createLogger(
  service: string,
  level: string,
  destination?: pino.DestinationStream,
): Logger {
  const options = { name: service, level, base: { service, pid: process.pid }, mixin: traceFields };
  return destination === undefined ? pino(options) : pino(options, destination);
}
