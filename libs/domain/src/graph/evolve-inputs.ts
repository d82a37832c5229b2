import type { DomainEvent, EventOf } from '../events/event.js';
import type { EndpointState } from '../endpoint/state.js';
import { fromIso } from '../time.js';
import {
  MAX_FIRED_REMEMBERED,
  MAX_WAITING_PER_EDGE,
  type CascadeState,
  type EdgeInputs,
  type ObservedResponse,
} from './inputs.js';

type CascadeEvent = EventOf<
  | 'DependencyDeclared'
  | 'DependencyRemoved'
  | 'UpstreamObserved'
  | 'UpstreamFailing'
  | 'UpstreamRecovered'
  | 'CascadeTriggered'
  | 'CascadeRefused'
>;

/** Whether `event` is one {@link evolveCascade} folds. */
export const isCascadeEvent = (event: DomainEvent): event is CascadeEvent =>
  event.type === 'DependencyDeclared' ||
  event.type === 'DependencyRemoved' ||
  event.type === 'UpstreamObserved' ||
  event.type === 'UpstreamFailing' ||
  event.type === 'UpstreamRecovered' ||
  event.type === 'CascadeTriggered' ||
  event.type === 'CascadeRefused';

/**
 * Folds an event of the endpoint's incoming edges into its cascade state: the edges declared on
 * it, what each saw of its upstream, the breaker, and the cascades it fired. Pure; time comes
 * from the events.
 */
export function evolveCascade(state: EndpointState, event: CascadeEvent): CascadeState {
  const { cascade } = state;
  const withEdge = (edgeId: string, change: (inputs: EdgeInputs) => EdgeInputs): CascadeState => {
    const inputs = cascade.edges[edgeId];
    return inputs ? { ...cascade, edges: { ...cascade.edges, [edgeId]: change(inputs) } } : cascade;
  };
  switch (event.type) {
    case 'DependencyDeclared': {
      // The same event is on the graph stream; here only edges into this endpoint matter.
      if (event.data.downstreamEndpointId !== state.endpointId) return cascade;
      const before = cascade.edges[event.data.edgeId];
      const inputs: EdgeInputs = before
        ? { ...before, edge: event.data }
        : {
            edge: event.data,
            latest: null,
            lastSatisfied: null,
            failures: 0,
            failing: false,
            waiting: [],
          };
      return { ...cascade, edges: { ...cascade.edges, [event.data.edgeId]: inputs } };
    }
    case 'DependencyRemoved': {
      const { [event.data.edgeId]: _removed, ...edges } = cascade.edges;
      return { ...cascade, edges };
    }
    case 'UpstreamObserved':
      return withEdge(event.data.edgeId, (inputs) => observe(inputs, observedOf(event)));
    case 'UpstreamFailing':
      return withEdge(event.data.edgeId, (inputs) => ({ ...inputs, failing: true }));
    case 'UpstreamRecovered':
      return withEdge(event.data.edgeId, (inputs) => ({ ...inputs, failing: false }));
    case 'CascadeRefused':
      // The response that would have cascaded does not wait for a fan-in.
      return withEdge(event.data.edgeId, (inputs) => ({
        ...inputs,
        waiting: inputs.waiting.filter((w) => w.runId !== event.data.upstreamRunId),
      }));
    case 'CascadeTriggered': {
      const used = new Map(event.data.inputs.map((i) => [i.edgeId, i.response.runId]));
      const edges = Object.fromEntries(
        Object.entries(cascade.edges).map(([edgeId, inputs]) => {
          const runId = used.get(edgeId);
          if (runId === undefined) return [edgeId, inputs];
          // The inputs are spent; with a correlation, so is every other response of that value.
          const waiting = inputs.waiting.filter(
            (w) =>
              w.runId !== runId &&
              (event.data.correlation === null || w.correlation !== event.data.correlation),
          );
          return [edgeId, { ...inputs, waiting }];
        }),
      );
      const fired =
        event.data.correlation === null
          ? cascade.fired
          : [...cascade.fired, event.data.correlation].slice(-MAX_FIRED_REMEMBERED);
      const pending = [
        ...cascade.pending,
        {
          cascadeId: event.data.cascadeId,
          triggeredAt: fromIso(event.data.triggeredAt),
          correlation: event.data.correlation,
          cascade: {
            root: event.data.cascade.root,
            depth: event.data.cascade.depth,
            chain: event.data.cascade.chain,
          },
          inputs: event.data.inputs.map((i) => ({ edgeId: i.edgeId, runId: i.response.runId })),
          ...(event.data.request ? { request: event.data.request } : {}),
          ...(event.data.templateError ? { templateError: event.data.templateError } : {}),
          ...(event.metadata.traceparent ? { traceparent: event.metadata.traceparent } : {}),
        },
      ];
      return { ...cascade, edges, pending, fired };
    }
  }
}

function observedOf(event: EventOf<'UpstreamObserved'>): ObservedResponse {
  const { response, satisfied, correlation, error, body, headers, cascade } = event.data;
  return {
    endpointId: response.endpointId,
    runId: response.runId,
    position: response.position,
    respondedAt: fromIso(response.respondedAt),
    status: response.status,
    ok: response.ok,
    satisfied,
    correlation,
    cascade,
    ...(error === undefined ? {} : { error }),
    ...(body === undefined ? {} : { body }),
    ...(headers === undefined ? {} : { headers }),
    ...(event.metadata.traceparent === undefined
      ? {}
      : { traceparent: event.metadata.traceparent }),
  };
}

function observe(inputs: EdgeInputs, observed: ObservedResponse): EdgeInputs {
  // Gates need only the verdict: the latest responses are kept without body and headers. The
  // satisfying responses a trigger edge keeps waiting carry them, for templates.
  const { body: _body, headers: _headers, ...summary } = observed;
  const waits = inputs.edge.mode === 'trigger' && observed.satisfied;
  return {
    ...inputs,
    latest: summary,
    lastSatisfied: observed.satisfied ? summary : inputs.lastSatisfied,
    failures: observed.ok ? 0 : inputs.failures + 1,
    waiting: waits ? [...inputs.waiting, observed].slice(-MAX_WAITING_PER_EDGE) : inputs.waiting,
  };
}
