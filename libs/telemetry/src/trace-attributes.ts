import { ROOT_CONTEXT, trace, type Context, type Link, type Span } from '@opentelemetry/api';
import { parseTraceparent } from './trace-context.js';

/**
 * Span attribute keys of Orrery's traces (docs/tracing.md). Keys that are not OpenTelemetry
 * conventions live in the `orrery.` namespace; ids are the tenant's own (never another
 * tenant's), and no attribute carries a URL path, a body or a header value.
 */
export const TRACE_ATTRIBUTES = {
  tenant: 'orrery.tenant.id',
  job: 'orrery.job.id',
  endpoint: 'orrery.endpoint.id',
  run: 'orrery.run.id',
  attempt: 'orrery.run.attempt',
  /** Why a run was dispatched: `schedule`, `interval_hint`, `one_shot_hint`, `cascade`, … */
  reason: 'orrery.run.reason',
  /** An edge `<upstream>.<downstream>`. */
  edge: 'orrery.edge.id',
  upstreamEndpoint: 'orrery.upstream.endpoint.id',
  upstreamRun: 'orrery.upstream.run.id',
  /** What judging an upstream response came to (see `CascadeOutcome`). */
  cascadeOutcome: 'orrery.cascade.outcome',
  /** The cascade id (also the downstream run's id) of a fired fan-in. */
  cascade: 'orrery.cascade.id',
  /** The run a cascade started from, and how many hops deep this one is. */
  cascadeRoot: 'orrery.cascade.root',
  cascadeDepth: 'orrery.cascade.depth',
  /** A fan-in's correlation value (`fanIn.correlation`). */
  correlation: 'orrery.cascade.correlation',
  /** The safety rule that refused a cascade (`depth_limit`, `loop`, `backlog`). */
  refusalRule: 'orrery.cascade.rule',
  processor: 'orrery.processor.name',
  /** An arbiter decision: `accepted` or `refused`, with the rule that decided. */
  decision: 'orrery.arbiter.decision',
  rule: 'orrery.arbiter.rule',
  proposal: 'orrery.proposal.id',
  hintKind: 'orrery.hint.kind',
  proposalSource: 'orrery.proposal.source',
  plannerSession: 'orrery.planner.session.id',
  plannerBackend: 'orrery.planner.backend',
  plannerOutcome: 'orrery.planner.outcome',
} as const;

/**
 * A span link to the span a `traceparent` names (none when the value is not one), with
 * attributes saying what the linked span is to this one.
 */
export function linkTo(
  traceparent: string | undefined,
  attributes: Link['attributes'] = {},
): Link | undefined {
  const context = traceparent === undefined ? undefined : parseTraceparent(traceparent);
  return context ? { context, attributes } : undefined;
}

/** Adds links to a recording span, skipping values that name no span and the span itself. */
export function addLinks(span: Span, links: readonly (Link | undefined)[]): void {
  if (!span.isRecording()) return;
  const own = span.spanContext().spanId;
  for (const link of links) {
    if (link !== undefined && link.context.spanId !== own) span.addLink(link);
  }
}

/** A context whose parent is `span`: children started in it belong to its trace. */
export function contextOf(span: Span): Context {
  return trace.setSpan(ROOT_CONTEXT, span);
}
