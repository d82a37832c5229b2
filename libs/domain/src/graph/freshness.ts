import type { EndpointState } from '../endpoint/state.js';
import type { Millis } from '../time.js';
import type { EdgeDefinition } from './edge.js';
import type { EdgeInputs, ObservedResponse } from './inputs.js';

/**
 * Whether a response still counts for `edge` at `now`:
 * - `duration`: it is at most `ms` old;
 * - `since_last_run`, gate edges: it arrived after the downstream's last run started;
 * - `since_last_run`, trigger edges: it arrived after the downstream's last run of its own
 *   (schedule, hint, manual run), which read fresh data anyway. A trigger edge's response is used
 *   once in any case: the fan-in that uses it spends it, so cascade runs never make other waiting
 *   responses (another batch) stale.
 */
export function isFresh(
  edge: EdgeDefinition,
  response: Pick<ObservedResponse, 'respondedAt'>,
  state: EndpointState,
  now: Millis,
): boolean {
  const { freshness } = edge;
  if (freshness.kind === 'duration') return response.respondedAt >= now - freshness.ms;
  const since =
    edge.mode === 'gate' ? (state.lastRun?.dispatchedAt ?? null) : state.cascade.ownRunAt;
  return since === null || response.respondedAt > since;
}

/** A gate edge's verdict at `now`: open, or closed and why (with the response it judged). */
export type GateVerdict =
  | { readonly open: true; readonly inputs: EdgeInputs }
  | { readonly open: false; readonly inputs: EdgeInputs; readonly detail: string };

/** The verdict of every gate edge of the endpoint at `now`. */
export function gateVerdicts(state: EndpointState, now: Millis): GateVerdict[] {
  return Object.values(state.cascade.edges)
    .filter((inputs) => inputs.edge.mode === 'gate')
    .map((inputs) => gateVerdict(inputs, state, now));
}

function gateVerdict(inputs: EdgeInputs, state: EndpointState, now: Millis): GateVerdict {
  const { edge, latest } = inputs;
  const from = `upstream ${edge.upstreamEndpointId}`;
  if (latest === null) return { open: false, inputs, detail: `no response from ${from} yet` };
  if (!latest.satisfied) {
    const why = latest.error ?? `condition \`${edge.condition}\` is false`;
    return { open: false, inputs, detail: `${from} run ${latest.runId}: ${why}` };
  }
  if (!isFresh(edge, latest, state, now)) {
    const window =
      edge.freshness.kind === 'duration'
        ? `older than ${edge.freshness.ms} ms`
        : 'not newer than the last run';
    return { open: false, inputs, detail: `${from} run ${latest.runId} is stale (${window})` };
  }
  return { open: true, inputs };
}
