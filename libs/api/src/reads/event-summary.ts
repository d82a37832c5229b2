import type { RecordedEvent } from '@orrery/domain';
import {
  baselineText,
  because,
  dispatchReason,
  duration,
  firstLine,
  hintProposedText,
  hintRejectedText,
  until,
  cascadeText,
} from './event-text.js';
import { cascadeEventView } from './explain-cascade.js';

const viaProposal = (data: { proposalId?: string | undefined; source?: string | undefined }) =>
  data.proposalId ? ` by proposal ${data.proposalId} (${data.source ?? '?'})` : '';

const counts = ({ create, change, archive }: { create: number; change: number; archive: number }) =>
  `+${create} ~${change} -${archive}`;

/**
 * One line saying what an event did, from its data: a run's outcome and lateness, a hint's
 * outcome with the arbiter's rule and winner, a pause and its end, a cascade and its inputs, a
 * planner session and its proposals. Secret values never appear (no headers, bodies or requests).
 */
export function summarizeEvent(event: RecordedEvent): string {
  switch (event.type) {
    case 'EndpointRegistered':
      return `endpoint ${event.data.endpointId} registered in job ${event.data.jobId}: ${baselineText(event.data.config.baseline)}`;
    case 'EndpointReconfigured':
      return `reconfigured: ${baselineText(event.data.config.baseline)}, min ${duration(event.data.config.minIntervalMs)}, jitter ${duration(event.data.config.jitterMs)}`;
    case 'EndpointArchived':
      return `archived${because(event.data.reason)}`;
    case 'DependencyDeclared':
      return `edge ${event.data.edgeId} declared: ${event.data.mode} from ${event.data.upstreamEndpointId} when ${event.data.condition}`;
    case 'DependencyRemoved':
      return `edge ${event.data.edgeId} removed${because(event.data.reason)}`;
    case 'RunDispatched': {
      const { runId, scheduledFor, dispatchedAt, attempt, reason, hintId, cascade } = event.data;
      const late = Date.parse(dispatchedAt) - Date.parse(scheduledFor);
      return (
        `run ${runId} dispatched (${dispatchReason({ reason, hintId, cascade })}), ` +
        `slot ${scheduledFor}, ${late > 0 ? `${duration(late)} late` : 'on time'}` +
        `${attempt > 1 ? `, attempt ${attempt}` : ''}`
      );
    }
    case 'ResponseRecorded': {
      const { runId, status, ok, durationMs, error, test, cascade } = event.data;
      const outcome = ok
        ? `${status ?? ''} ok`.trim()
        : error
          ? `failed (${error.kind}: ${firstLine(error.message)})`
          : `failed (${status ?? 'no status'})`;
      const via = cascade && cascade.depth > 0 ? `, ${cascadeText(cascade)}` : '';
      return `${test ? 'test ' : ''}run ${runId} → ${outcome} in ${duration(durationMs)}${via}`;
    }
    case 'HintProposed':
      return hintProposedText(event.data);
    case 'HintRejected':
      return hintRejectedText(event.data);
    case 'HintExpired':
      return `hint ${event.data.hintId} (${event.data.slot}) expired at ${event.data.expiresAt}`;
    case 'HintSuperseded':
      return `hint ${event.data.hintId} (${event.data.slot}) superseded by ${event.data.byHintId}`;
    case 'HintsCleared':
      return (
        `hints cleared (${event.data.slots.join(', ')})` +
        `${event.data.hintIds.length > 0 ? `: ${event.data.hintIds.join(', ')}` : ''}` +
        `${viaProposal(event.data)}${because(event.data.reason)}`
      );
    case 'Paused':
      return `paused ${until(event.data.until)}${viaProposal(event.data)}${because(event.data.reason)}`;
    case 'Resumed':
      return `resumed${because(event.data.reason)}`;
    case 'CascadeTriggered': {
      const { cascadeId, inputs, correlation, cascade, templateError } = event.data;
      const by = inputs
        .map((i) => `${i.response.endpointId} run ${i.response.runId} (#${i.response.position})`)
        .join(', ');
      return (
        `cascade ${cascadeId} fired by ${by}${correlation === null ? '' : ` for ${correlation}`}; ` +
        `chain ${cascade.chain.join(' → ')}` +
        `${templateError ? `; template failed at ${templateError.field}: ${templateError.message}` : ''}`
      );
    }
    case 'UpstreamObserved':
    case 'CascadeRefused':
    case 'RunSkipped':
    case 'UpstreamFailing':
    case 'UpstreamRecovered':
      return cascadeEventView(event)[0]?.summary ?? event.type;
    case 'PipelineApplied': {
      const { name, summary } = event.data;
      return `pipeline ${name} applied: jobs ${counts(summary.jobs)}, endpoints ${counts(summary.endpoints)}, edges ${counts(summary.edges)}`;
    }
    case 'PlannerSessionRecorded': {
      const s = event.data;
      const proposals = s.proposals.map(
        (p) => `${p.kind} → ${p.targetEndpointId} ${p.outcome}${p.rule ? ` (${p.rule})` : ''}`,
      );
      return (
        `planner session ${s.sessionId} (${s.planner}${s.model ? ` ${s.model}` : ''}) ${s.outcome}` +
        `${s.detail ? `: ${firstLine(s.detail)}` : ''}; ${proposals.length} proposal(s)` +
        `${proposals.length > 0 ? `: ${proposals.join('; ')}` : ''}${because(s.reasoning)}`
      );
    }
    case 'TenantCreated':
      return `tenant ${event.data.tenantId} created (${event.data.name})`;
    case 'ApiKeyCreated':
      return `API key ${event.data.keyId} created${event.data.name ? ` (${event.data.name})` : ''}`;
    case 'ApiKeyRevoked':
      return `API key ${event.data.keyId} revoked${because(event.data.reason)}`;
    case 'TenantDisabled':
      return `tenant disabled${because(event.data.reason)}`;
    case 'TenantEnabled':
      return `tenant enabled${because(event.data.reason)}`;
    case 'JobCreated':
      return `job ${event.data.jobId} created (${event.data.name})`;
    case 'JobUpdated':
      return `job updated: ${Object.keys(event.data).join(', ') || 'nothing'}`;
    case 'JobArchived':
      return `job archived${because(event.data.reason)}`;
    case 'JobPaused':
      return `job paused ${until(event.data.until)}${because(event.data.reason)}`;
    case 'JobResumed':
      return `job resumed${because(event.data.reason)}`;
  }
}
