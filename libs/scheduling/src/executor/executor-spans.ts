import type { QueuePayload } from '@orrery/domain';
import type { CallOutcome } from '@orrery/http';
import { contextFromTraceparent, TRACE_ATTRIBUTES as A } from '@orrery/telemetry';
import {
  SpanKind,
  SpanStatusCode,
  type Attributes,
  type Span,
  type Tracer,
} from '@opentelemetry/api';

/** The attributes every span of a run carries. */
export function runAttributes(job: QueuePayload<'execute'>): Attributes {
  return {
    [A.tenant]: job.tenantId,
    [A.endpoint]: job.endpointId,
    [A.run]: job.runId,
    [A.attempt]: job.attempt,
    ...(job.cascade === undefined
      ? {}
      : { [A.cascadeRoot]: job.cascade.root, [A.cascadeDepth]: job.cascade.depth }),
  };
}

/**
 * The time a run's job waited for an executor (`orrery.run.queue_wait`): from its dispatch (the
 * job is enqueued right after) to an executor taking it, in the run's trace. A job whose lease
 * lapsed meanwhile is marked `orrery.run.stale` and not called.
 */
export function queueWaitSpan(
  tracer: Tracer,
  job: QueuePayload<'execute'>,
  now: number,
  stale: boolean,
): void {
  const span = tracer.startSpan(
    'orrery.run.queue_wait',
    {
      kind: SpanKind.CONSUMER,
      startTime: Math.min(Date.parse(job.dispatchedAt), now),
      attributes: { ...runAttributes(job), 'orrery.run.stale': stale },
    },
    contextFromTraceparent(job.traceparent),
  );
  span.end(now);
}

/** Ends a call's span: the response status, and an error status for a failed outcome. */
export function endCallSpan(span: Span, outcome: CallOutcome): void {
  if (outcome.status !== null) span.setAttribute('http.response.status_code', outcome.status);
  if (!outcome.ok) {
    span.setAttribute('error.type', outcome.error?.kind ?? String(outcome.status));
    span.setStatus({ code: SpanStatusCode.ERROR, message: outcome.error?.message ?? '' });
  }
  span.end();
}

/** The host a URL names, for the span (never the path or query, which may hold secrets). */
export function hostOf(url: string): string {
  try {
    return new URL(url).hostname;
  } catch {
    return '';
  }
}
