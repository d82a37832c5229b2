import type { SessionProposal } from '@orrery/domain';
import { contextOf, TRACE_ATTRIBUTES as A, type Instrumentation } from '@orrery/telemetry';

type Tracer = Instrumentation['tracer'];
type Span = ReturnType<Tracer['startSpan']>;

/**
 * The span of one planner session (`orrery.planner.session`): a trace of its own (a session
 * gathers several responses of its endpoint), from reading the context to the commit.
 */
export function startSessionSpan(
  tracer: Tracer,
  session: { tenantId: string; endpointId: string; sessionId: string },
): Span {
  return tracer.startSpan('orrery.planner.session', {
    root: true,
    attributes: {
      [A.tenant]: session.tenantId,
      [A.endpoint]: session.endpointId,
      [A.plannerSession]: session.sessionId,
    },
  });
}

/**
 * One span per proposal the arbiter decided in a committed session (`orrery.arbiter.decision`,
 * children of the session's span): accepted or refused, with the rule that refused it.
 */
export function recordDecisions(
  tracer: Tracer,
  session: Span,
  tenantId: string,
  proposals: readonly SessionProposal[],
): void {
  for (const proposal of proposals) {
    if (proposal.outcome === 'not_applied') continue;
    tracer
      .startSpan(
        'orrery.arbiter.decision',
        {
          attributes: {
            [A.tenant]: tenantId,
            [A.endpoint]: proposal.targetEndpointId,
            [A.proposal]: proposal.proposalId,
            [A.proposalSource]: 'planner',
            [A.hintKind]: proposal.kind,
            [A.decision]: proposal.outcome === 'accepted' ? 'accepted' : 'refused',
            ...(proposal.rule === undefined ? {} : { [A.rule]: proposal.rule }),
          },
        },
        contextOf(session),
      )
      .end();
  }
}
