import {
  gateVerdicts,
  toIso,
  type CascadeDecisionInput,
  type EndpointState,
  type Millis,
  type ObservedResponse,
  type RecordedEvent,
} from '@orrery/domain';
import type {
  CascadeDecisionInputsView,
  CascadeEventViewType,
  DependenciesViewType,
} from '../schemas/explain-cascade.js';

const observedView = (o: ObservedResponse | null) =>
  o === null
    ? null
    : {
        endpointId: o.endpointId,
        runId: o.runId,
        position: o.position,
        respondedAt: toIso(o.respondedAt),
        status: o.status,
        ok: o.ok,
        satisfied: o.satisfied,
        correlation: o.correlation,
        ...(o.error === undefined ? {} : { error: o.error }),
      };

/** The governor's cascade inputs with instants as ISO-8601. */
export const cascadeInputsView = (input: CascadeDecisionInput | null): CascadeDecisionInputsView =>
  input && {
    ...input,
    failingEdges: [...input.failingEdges],
    head: input.head && { ...input.head, triggeredAt: toIso(input.head.triggeredAt) },
  };

/** The endpoint's incoming edges at `time`: what each saw, gates, breakers; and what waits. */
export function dependenciesView(state: EndpointState, time: Millis): DependenciesViewType {
  const gates = new Map(gateVerdicts(state, time).map((g) => [g.inputs.edge.edgeId, g]));
  return {
    edges: Object.values(state.cascade.edges).map((inputs) => {
      const { edge } = inputs;
      const gate = gates.get(edge.edgeId);
      const limit = edge.onUpstreamFailure?.afterFailures;
      return {
        edgeId: edge.edgeId,
        name: edge.name,
        upstreamEndpointId: edge.upstreamEndpointId,
        mode: edge.mode,
        condition: edge.condition,
        latest: observedView(inputs.latest),
        lastSatisfied: observedView(inputs.lastSatisfied),
        gate:
          gate === undefined ? null : { open: gate.open, detail: gate.open ? 'open' : gate.detail },
        breaker:
          limit === undefined
            ? null
            : { open: inputs.failing, failures: inputs.failures, afterFailures: limit },
        waiting: inputs.waiting.length,
      };
    }),
    pending: state.cascade.pending.map((p) => ({
      cascadeId: p.cascadeId,
      triggeredAt: toIso(p.triggeredAt),
      correlation: p.correlation,
      cascade: p.cascade,
      inputs: [...p.inputs],
      ...(p.templateError ? { templateError: p.templateError } : {}),
    })),
  };
}

/** A gate, fan-in or breaker decision of the stream, in words and data (bodies left out). */
export function cascadeEventView(event: RecordedEvent): CascadeEventViewType[] {
  const entry = { position: event.position, recordedAt: event.recordedAt };
  switch (event.type) {
    case 'UpstreamObserved': {
      const { body: _body, headers: _headers, ...data } = event.data;
      const verdict = data.satisfied
        ? 'satisfied'
        : `not satisfied${data.error ? ` (${data.error})` : ''}`;
      return [
        {
          ...entry,
          type: event.type,
          edgeId: data.edgeId,
          summary: `run ${data.response.runId} of ${data.response.endpointId}: ${verdict}`,
          data,
        },
      ];
    }
    case 'CascadeTriggered': {
      const { request: _request, ...data } = event.data;
      const runs = data.inputs.map((i) => i.response.runId).join(', ');
      return [
        {
          ...entry,
          type: event.type,
          edgeId: data.inputs.at(-1)?.edgeId ?? null,
          summary: `fan-in fired on ${runs}${data.correlation === null ? '' : ` for ${data.correlation}`}: run ${data.cascadeId}`,
          data,
        },
      ];
    }
    case 'CascadeRefused':
      return [
        {
          ...entry,
          type: event.type,
          edgeId: event.data.edgeId,
          summary: `refused (${event.data.rule}): ${event.data.detail}`,
          data: { ...event.data },
        },
      ];
    case 'RunSkipped':
      return [
        {
          ...entry,
          type: event.type,
          edgeId: event.data.edgeId ?? null,
          summary: `slot ${event.data.scheduledFor} skipped (${event.data.reason}): ${event.data.detail}`,
          data: { ...event.data },
        },
      ];
    case 'UpstreamFailing':
      return [
        {
          ...entry,
          type: event.type,
          edgeId: event.data.edgeId,
          summary: `breaker open after ${event.data.failures} failed upstream runs`,
          data: { ...event.data },
        },
      ];
    case 'UpstreamRecovered':
      return [
        {
          ...entry,
          type: event.type,
          edgeId: event.data.edgeId,
          summary: `breaker closed: run ${event.data.upstreamRunId} succeeded`,
          data: { ...event.data },
        },
      ];
    default:
      return [];
  }
}
