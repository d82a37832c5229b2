import { scheduleOf, type DomainEvent, type EndpointState, type Holds } from '@orrery/domain';
import {
  contextFromTraceparent,
  formatTraceparent,
  newTraceparent,
  parseTraceparent,
  TRACE_ATTRIBUTES as A,
} from '@orrery/telemetry';
import {
  ROOT_CONTEXT,
  SpanKind,
  type Context,
  type Link,
  type Span,
  type SpanContext,
  type Tracer,
} from '@opentelemetry/api';

/**
 * The span of one run's dispatch (`orrery.run.dispatch`), started before its decision so that a
 * run of the endpoint's own schedule can start its trace with it. `traceparent` is what the
 * decision puts in the run's metadata: the span's own for a new trace, a fresh random one when
 * the tracer does not record.
 */
export interface PendingDispatchSpan {
  readonly traceparent: string;
  /** Ends the span with what the decision came to (a run, a skip), or drops it (nothing). */
  readonly end: (events: readonly DomainEvent[]) => void;
}

/**
 * Opens the dispatch span of a claimed endpoint. A cascade's run continues the trace its cascade
 * was fired in (the decider takes the pending cascade's `traceparent`), so its span is a child of
 * that; any other run starts a trace of its own, rooted at this span. Which it will be is read
 * from the claimed state, as the decider reads it; should the decision differ (it was decided
 * again on newer events), the span is made again under the right parent. A span never ended is
 * never exported: a claim that dispatched nothing leaves no trace.
 */
export function openDispatchSpan(
  tracer: Tracer,
  claimed: { readonly state: EndpointState; readonly holds: Holds },
  now: number,
  round: SpanContext | undefined,
): PendingDispatchSpan {
  const startTime = performance.timeOrigin + performance.now();
  const links: Link[] = round ? [{ context: round }] : [];
  const start = (parent: Context, root: boolean) =>
    tracer.startSpan(
      'orrery.run.dispatch',
      {
        kind: SpanKind.PRODUCER,
        startTime,
        root,
        links,
        attributes: {
          [A.tenant]: claimed.state.tenantId,
          [A.job]: claimed.state.jobId,
          [A.endpoint]: claimed.state.endpointId,
        },
      },
      parent,
    );
  const cascade = cascadeDue(claimed.state, claimed.holds, now);
  const span =
    cascade === undefined
      ? start(ROOT_CONTEXT, true)
      : start(contextFromTraceparent(cascade.traceparent), false);
  const traceparent =
    cascade === undefined && span.isRecording()
      ? formatTraceparent(span.spanContext())
      : newTraceparent();
  return {
    traceparent,
    end: (events) => {
      const decided = events[0];
      if (decided?.type !== 'RunDispatched' && decided?.type !== 'RunSkipped') return;
      let current = span;
      // A skip carries the command's metadata; a run, the trace the decider chose for it.
      const runTrace =
        decided.type === 'RunDispatched'
          ? parseTraceparent(decided.metadata.traceparent ?? '')?.traceId
          : undefined;
      if (span.isRecording() && runTrace !== undefined && runTrace !== span.spanContext().traceId) {
        current = start(contextFromTraceparent(decided.metadata.traceparent), false);
      }
      endDispatchSpan(current, decided);
    },
  };
}

/** Ends a dispatch span with the run it dispatched, or the slot a closed gate skipped. */
export function endDispatchSpan(span: Span, decided: DomainEvent): void {
  if (decided.type === 'RunDispatched') {
    const { runId, attempt, reason, cascade } = decided.data;
    span.setAttributes({
      [A.run]: runId,
      [A.attempt]: attempt,
      [A.reason]: reason,
      ...(cascade === undefined
        ? {}
        : { [A.cascadeRoot]: cascade.root, [A.cascadeDepth]: cascade.depth }),
    });
  } else if (decided.type === 'RunSkipped') {
    span.setAttributes({
      [A.reason]: decided.data.reason,
      ...(decided.data.edgeId === undefined ? {} : { [A.edge]: decided.data.edgeId }),
      ...(decided.data.cascadeId === undefined ? {} : { [A.cascade]: decided.data.cascadeId }),
    });
    span.addEvent('run skipped', { [A.reason]: decided.data.reason });
  }
  span.end();
}

/** A dispatch span for a run decided elsewhere (a cascade dispatched by its processor). */
export function startDispatchSpan(tracer: Tracer, parent: Context, state: EndpointState): Span {
  return tracer.startSpan(
    'orrery.run.dispatch',
    {
      kind: SpanKind.PRODUCER,
      attributes: {
        [A.tenant]: state.tenantId,
        [A.job]: state.jobId,
        [A.endpoint]: state.endpointId,
      },
    },
    parent,
  );
}

/** The pending cascade the decider will dispatch now, if the claimed state says one is due. */
function cascadeDue(state: EndpointState, holds: Holds, now: number) {
  const head = state.cascade.pending[0];
  if (head === undefined) return undefined;
  const view = scheduleOf(state, now, holds);
  return view.reason === 'cascade' && view.redispatchRunId === null ? head : undefined;
}
