import type { DecideContext, Decided } from '../decider.js';
import type { UpstreamResponse } from '../endpoint/commands.js';
import { evolve } from '../endpoint/evolve.js';
import type { EndpointState } from '../endpoint/state.js';
import type { CascadeContext } from '../events/catalogue.js';
import { makeEvent, type DomainEvent } from '../events/event.js';
import { ok } from '../errors.js';
import {
  evaluateCondition,
  evaluateCorrelation,
  evaluateFanIn,
  type ResponseInput,
} from '../expressions/index.js';
import { toIso, type Millis } from '../time.js';
import { isFresh } from './freshness.js';
import {
  MAX_CASCADE_DEPTH,
  MAX_PENDING_CASCADES,
  type EdgeInputs,
  type ObservedResponse,
} from './inputs.js';
import { renderRequest } from './render-request.js';

const inputOf = (r: Pick<UpstreamResponse, 'status' | 'ok' | 'body' | 'headers' | 'durationMs'>) =>
  ({
    status: r.status,
    ok: r.ok,
    body: r.body,
    headers: r.headers,
    durationMs: r.durationMs,
  }) satisfies ResponseInput;

/**
 * Decides what an upstream response means for this endpoint, through one incoming edge:
 *
 * 1. `UpstreamObserved`: the edge's condition (and, on a trigger edge of a correlated fan-in,
 *    the correlation value) judged on the response — the recorded input of every later gate,
 *    fan-in and breaker decision. A response already observed (or older) is ignored.
 * 2. The breaker: `UpstreamFailing` once `afterFailures` upstream runs in a row failed,
 *    `UpstreamRecovered` at its first success after that.
 * 3. On a trigger edge whose condition holds: the cascade's safety rules (`CascadeRefused` for a
 *    loop, a chain deeper than {@link MAX_CASCADE_DEPTH}, or too many cascades waiting), then the
 *    fan-in — `CascadeTriggered` when the combination of the trigger edges holds for the
 *    response's correlation value, with the request rendered from the responses it used.
 */
export function observeUpstream(
  edgeId: string,
  response: UpstreamResponse,
  state: EndpointState,
  ctx: DecideContext,
): Decided {
  const inputs = state.cascade.edges[edgeId];
  // The edge was removed since (or never reached this stream): nothing to judge.
  if (inputs === undefined) return ok([]);
  if (inputs.latest !== null && inputs.latest.position >= response.position) return ok([]);
  const { edge } = inputs;
  const input = inputOf(response);
  const judged = evaluateCondition(edge.condition, input, { [edge.name]: input });
  let satisfied = judged.ok && judged.value;
  let error = judged.ok ? undefined : `condition: ${judged.error.message}`;
  let correlation: string | null = null;
  const correlationExpr = state.config?.fanIn?.correlation;
  if (edge.mode === 'trigger' && satisfied && correlationExpr !== undefined) {
    const key = evaluateCorrelation(correlationExpr, input, {
      root: response.cascade.root,
      depth: response.cascade.depth,
      correlation: null,
    });
    if (key.ok) correlation = key.value;
    else [satisfied, error] = [false, `correlation: ${key.error.message}`];
  }
  const keeps = edge.mode === 'trigger' && satisfied;
  const events: DomainEvent[] = [
    makeEvent(
      'UpstreamObserved',
      {
        edgeId,
        response: {
          endpointId: response.endpointId,
          runId: response.runId,
          position: response.position,
          respondedAt: toIso(response.respondedAt),
          status: response.status,
          ok: response.ok,
        },
        satisfied,
        correlation,
        ...(error === undefined ? {} : { error }),
        ...(keeps ? { body: response.body, headers: { ...response.headers } } : {}),
        cascade: response.cascade,
      },
      ctx.metadata,
    ),
    ...breaker(inputs, response, ctx),
  ];
  if (keeps) {
    const refusal = refusalOf(state, response, inputs);
    if (refusal !== null) {
      events.push(makeEvent('CascadeRefused', refusal, ctx.metadata));
    } else {
      const after = events.reduce(evolve, state);
      const fired = fanIn(after, ctx.now, correlation, response);
      if (fired !== null) {
        const metadata = {
          ...ctx.metadata,
          causationId: response.runId,
          ...(response.traceparent === undefined ? {} : { traceparent: response.traceparent }),
        };
        events.push(makeEvent('CascadeTriggered', fired, metadata));
      }
    }
  }
  return ok(events);
}

function breaker(inputs: EdgeInputs, response: UpstreamResponse, ctx: DecideContext) {
  const limit = inputs.edge.onUpstreamFailure?.afterFailures;
  if (limit === undefined) return [];
  const failures = response.ok ? 0 : inputs.failures + 1;
  if (!inputs.failing && failures >= limit) {
    return [makeEvent('UpstreamFailing', { edgeId: inputs.edge.edgeId, failures }, ctx.metadata)];
  }
  if (inputs.failing && response.ok) {
    return [
      makeEvent(
        'UpstreamRecovered',
        { edgeId: inputs.edge.edgeId, upstreamRunId: response.runId },
        ctx.metadata,
      ),
    ];
  }
  return [];
}

function refusalOf(state: EndpointState, response: UpstreamResponse, inputs: EdgeInputs) {
  const { cascade } = response;
  const base = { edgeId: inputs.edge.edgeId, upstreamRunId: response.runId, cascade };
  if (cascade.chain.includes(state.endpointId)) {
    return {
      ...base,
      rule: 'loop' as const,
      detail: `${state.endpointId} already ran in this cascade: ${cascade.chain.join(' → ')}`,
    };
  }
  if (cascade.depth + 1 > MAX_CASCADE_DEPTH) {
    return {
      ...base,
      rule: 'depth_limit' as const,
      detail: `the cascade would be ${cascade.depth + 1} hops deep; the limit is ${MAX_CASCADE_DEPTH}`,
    };
  }
  if (state.cascade.pending.length >= MAX_PENDING_CASCADES) {
    return {
      ...base,
      rule: 'backlog' as const,
      detail: `${MAX_PENDING_CASCADES} cascades are already waiting to run`,
    };
  }
  return null;
}

/**
 * The fan-in over the trigger edges for `correlation`, after the new response was folded in:
 * each edge is ready when a fresh, unused, satisfying response with that correlation value waits
 * on it; the downstream's `combine` (`all`, `any` or an expression over edge names) decides. A
 * correlation value fires once.
 */
function fanIn(
  state: EndpointState,
  now: Millis,
  correlation: string | null,
  completing: UpstreamResponse,
) {
  if (correlation !== null && state.cascade.fired.includes(correlation)) return null;
  const triggers = Object.values(state.cascade.edges).filter((e) => e.edge.mode === 'trigger');
  const picks = new Map<EdgeInputs, ObservedResponse>();
  for (const inputs of triggers) {
    const candidates = inputs.waiting.filter(
      (w) =>
        (correlation === null || w.correlation === correlation) &&
        isFresh(inputs.edge, w, state, now),
    );
    const newest = candidates.at(-1);
    if (newest !== undefined) picks.set(inputs, newest);
  }
  const ready = Object.fromEntries(triggers.map((e) => [e.edge.name, picks.has(e)]));
  if (!evaluateFanIn(state.config?.fanIn?.combine ?? 'all', ready)) return null;
  const cascade: CascadeContext = {
    root: completing.cascade.root,
    depth: completing.cascade.depth + 1,
    chain: [...completing.cascade.chain, state.endpointId],
  };
  const used = [...picks.entries()];
  const rendered = renderRequest(state, used, { ...cascade, correlation });
  return {
    cascadeId: `run-${state.endpointId}-c${(state.version + 1).toString(36)}`,
    triggeredAt: toIso(now),
    inputs: used.map(([inputs, w]) => ({
      edgeId: inputs.edge.edgeId,
      response: {
        endpointId: w.endpointId,
        runId: w.runId,
        position: w.position,
        respondedAt: toIso(w.respondedAt),
        status: w.status,
        ok: w.ok,
      },
      ...(w.traceparent === undefined ? {} : { traceparent: w.traceparent }),
    })),
    correlation,
    cascade,
    ...rendered,
  };
}
