import {
  endpointDecider,
  type EndpointState,
  type Millis,
  type PlannerContext,
  type PlannerTools,
  type ProposalDraft,
} from '@orrery/domain';
import type { JobInputs } from './commit-session.js';
import type { ContextReader } from './context-reader.js';

/**
 * What a planner may ask during a session: response history from the log, and dry runs of the
 * arbiter on the states (and jobs) the context was read from — what it would answer now; the
 * real decision is made when the session commits.
 */
export function plannerTools(
  reader: ContextReader,
  now: () => Millis,
  {
    context,
    states,
    jobs,
  }: {
    context: PlannerContext;
    states: ReadonlyMap<string, EndpointState>;
    jobs: ReadonlyMap<string, JobInputs>;
  },
): PlannerTools {
  const { tenantId } = context;
  return {
    responseHistory: async (endpointId, limit) => {
      const state = states.get(endpointId);
      if (!state) throw new Error(`${endpointId} is not in this session's context`);
      const current = await reader.state(tenantId, endpointId);
      return reader.recentResponses(tenantId, endpointId, current.version, Math.min(limit, 50));
    },
    check: (draft: ProposalDraft) => {
      const state = states.get(draft.targetEndpointId);
      if (!state) return { outcome: 'reject', rule: 'not_found', detail: 'not in this context' };
      const job = jobs.get(state.jobId);
      const decided = endpointDecider.decide(
        {
          type: 'Propose',
          ...(job ? { policy: job.policy, jobExtraRuns: job.extraRuns } : {}),
          ...(job?.holds ? { holds: job.holds } : {}),
          proposal: {
            id: 'dry-run',
            source: 'planner',
            sourceId: 'dry-run',
            fromEndpointId: context.endpoint.endpointId,
            reason: draft.reason,
            basedOnPosition: context.basedOnPosition,
            action: draft.action,
          },
        },
        state,
        { now: now(), metadata: { tenantId, actor: { kind: 'planner', id: 'dry-run' } } },
      );
      if (!decided.ok)
        return { outcome: 'reject', rule: decided.error.code, detail: decided.error.message };
      const refused = decided.value.find((e) => e.type === 'HintRejected');
      if (refused?.type === 'HintRejected') {
        return { outcome: 'reject', rule: refused.data.rule, detail: refused.data.detail };
      }
      const granted = decided.value.find((e) => e.type === 'HintProposed' || e.type === 'Paused');
      const clamped = granted && 'clamped' in granted.data ? granted.data.clamped : undefined;
      return { outcome: 'accept', ...(clamped ? { clamped } : {}) };
    },
  };
}
