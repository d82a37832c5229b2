import type { CommandResult } from '@orrery/event-store';
import type { EdgeDefinition, EndpointState, EventOf } from '@orrery/domain';
import {
  addLinks,
  contextFromTraceparent,
  endSpan,
  linkTo,
  TRACE_ATTRIBUTES as A,
} from '@orrery/telemetry';
import { SpanKind, type Link, type Span, type SpanContext, type Tracer } from '@opentelemetry/api';

/**
 * What judging one upstream response on one edge came to (`orrery.cascade.outcome`): a fan-in
 * fired, a cascade refused by its safety rules, a condition not met, a satisfying response
 * waiting for the fan-in's other edges, a gate's verdict kept, a response already judged, or a
 * downstream that no longer exists.
 */
export type CascadeOutcome =
  | 'triggered'
  | 'refused'
  | 'not_satisfied'
  | 'waiting'
  | 'observed'
  | 'duplicate'
  | 'downstream_gone';

/**
 * The span of one edge judging one upstream response (`orrery.cascade.trigger`): a child of the
 * response's trace context, so the downstream run it may fire continues the upstream run's
 * trace. Linked to the processor batch that handled the response.
 */
export function startTriggerSpan(
  tracer: Tracer,
  step: {
    readonly tenantId: string;
    readonly edge: EdgeDefinition;
    readonly event: EventOf<'ResponseRecorded'>;
  },
  batch: SpanContext | undefined,
): Span {
  const { tenantId, edge, event } = step;
  const links: Link[] = batch ? [{ context: batch, attributes: { [A.processor]: 'cascade' } }] : [];
  return tracer.startSpan(
    'orrery.cascade.trigger',
    {
      kind: SpanKind.INTERNAL,
      attributes: {
        [A.tenant]: tenantId,
        [A.edge]: edge.edgeId,
        [A.endpoint]: edge.downstreamEndpointId,
        [A.upstreamEndpoint]: edge.upstreamEndpointId,
        [A.upstreamRun]: event.data.runId,
      },
      links,
    },
    contextFromTraceparent(event.metadata.traceparent),
  );
}

/**
 * Ends a trigger span with what the decision came to. A fired fan-in links every upstream
 * response it used (each in the trace it was observed in), so a join of runs from different
 * traces can be followed to all of them.
 */
export function endTriggerSpan(
  span: Span,
  edge: EdgeDefinition,
  result: CommandResult<EndpointState> | undefined,
  error?: unknown,
): void {
  if (error !== undefined || result === undefined) return endSpan(span, error);
  if (!result.ok) {
    span.setAttribute(A.cascadeOutcome, 'downstream_gone');
    return endSpan(span);
  }
  span.setAttribute(A.cascadeOutcome, outcomeOf(edge, result));
  for (const event of result.events) {
    if (event.type === 'CascadeTriggered') {
      const { data } = event;
      span.setAttributes({
        [A.cascade]: data.cascadeId,
        [A.run]: data.cascadeId,
        [A.cascadeRoot]: data.cascade.root,
        [A.cascadeDepth]: data.cascade.depth,
        ...(data.correlation === null ? {} : { [A.correlation]: data.correlation }),
      });
      addLinks(
        span,
        data.inputs.map((input) =>
          linkTo(input.traceparent, {
            [A.edge]: input.edgeId,
            [A.upstreamRun]: input.response.runId,
          }),
        ),
      );
    }
    if (event.type === 'CascadeRefused') span.setAttribute(A.refusalRule, event.data.rule);
  }
  endSpan(span);
}

function outcomeOf(
  edge: EdgeDefinition,
  result: Extract<CommandResult<EndpointState>, { ok: true }>,
): CascadeOutcome {
  if (result.duplicate) return 'duplicate';
  const types = new Set(result.events.map((e) => e.type));
  if (types.has('CascadeTriggered')) return 'triggered';
  if (types.has('CascadeRefused')) return 'refused';
  const observed = result.events.find((e) => e.type === 'UpstreamObserved');
  if (observed?.type !== 'UpstreamObserved' || !observed.data.satisfied) return 'not_satisfied';
  // A gate keeps the verdict for the downstream's own runs; a trigger edge waits for its fan-in.
  return edge.mode === 'gate' ? 'observed' : 'waiting';
}
