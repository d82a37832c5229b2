import { randomBytes } from 'node:crypto';
import {
  ROOT_CONTEXT,
  trace,
  TraceFlags,
  type Context,
  type Span,
  type SpanContext,
} from '@opentelemetry/api';

const TRACEPARENT = /^([0-9a-f]{2})-([0-9a-f]{32})-([0-9a-f]{16})-([0-9a-f]{2})(-.*)?$/;
/** What Orrery itself writes (version 00, lower case, nothing around it): read without captures. */
const CANONICAL = /^00-[0-9a-f]{32}-[0-9a-f]{16}-[0-9a-f]{2}$/;
const ZERO_TRACE_ID = '0'.repeat(32);
const ZERO_SPAN_ID = '0'.repeat(16);

/**
 * The span context a W3C `traceparent` header names, or undefined when the value is not one
 * (unknown version 0xff, all-zero ids, wrong lengths). Later versions are read as version 00,
 * as the W3C Trace Context recommendation asks.
 *
 * An executor reads each run's `traceparent` several times (its spans, its log line), so the
 * form Orrery writes is read by one test and three slices, the rest by the general pattern.
 */
export function parseTraceparent(value: string): SpanContext | undefined {
  if (value.length === 55 && CANONICAL.test(value)) {
    return spanContext(value.slice(3, 35), value.slice(36, 52), value.slice(53, 55));
  }
  const match = TRACEPARENT.exec(value.trim().toLowerCase());
  if (!match) return undefined;
  const [, version, traceId = '', spanId = '', flags = '00', rest] = match;
  if (version === 'ff' || (version === '00' && rest !== undefined)) return undefined;
  return spanContext(traceId, spanId, flags);
}

/** Ids and flags already checked as hex of the right lengths; all-zero ids are invalid. */
function spanContext(traceId: string, spanId: string, flags: string): SpanContext | undefined {
  if (traceId === ZERO_TRACE_ID || spanId === ZERO_SPAN_ID) return undefined;
  return {
    traceId,
    spanId,
    traceFlags: Number.parseInt(flags, 16) & TraceFlags.SAMPLED,
    isRemote: true,
  };
}

/** The W3C `traceparent` of a span context (version 00). */
export function formatTraceparent(context: SpanContext): string {
  const flags = (context.traceFlags & 0xff).toString(16).padStart(2, '0');
  return `00-${context.traceId}-${context.spanId}-${flags}`;
}

/** A context whose parent is the span a `traceparent` names (the root context when none). */
export function contextFromTraceparent(value: string | undefined, base: Context = ROOT_CONTEXT) {
  const parent = value === undefined ? undefined : parseTraceparent(value);
  return parent ? trace.setSpanContext(base, parent) : base;
}

/**
 * The `traceparent` to send on from inside `span`: the span's own when it records (the callee
 * becomes its child), else `incoming` unchanged (a no-op or unsampled span adds no hop).
 */
export function outgoingTraceparent(span: Span, incoming: string | undefined): string | undefined {
  return span.isRecording() ? formatTraceparent(span.spanContext()) : incoming;
}

/**
 * A `traceparent` that starts a new trace (random trace and span ids, sampled): each baseline
 * run is a trace of its own, which the executor's call continues and the target receives.
 */
export function newTraceparent(): string {
  return `00-${randomBytes(16).toString('hex')}-${randomBytes(8).toString('hex')}-01`;
}

/**
 * The log fields of a `traceparent` — `trace_id`, `span_id`, `trace_flags`, as the services'
 * logger adds them inside an active span — for a line about a run or a cascade logged outside
 * its span; none for a missing or invalid value. With no SDK the value is still the one the
 * target received, so the line finds the target's own logs of the call.
 *
 * @example
 * log.info({ run: job.runId, ...traceLogFields(traceparent) }, 'run recorded');
 */
export function traceLogFields(traceparent: string | undefined): Record<string, string> {
  const parsed = traceparent === undefined ? undefined : parseTraceparent(traceparent);
  if (parsed === undefined) return {};
  return {
    trace_id: parsed.traceId,
    span_id: parsed.spanId,
    trace_flags: (parsed.traceFlags & 0xff).toString(16).padStart(2, '0'),
  };
}
