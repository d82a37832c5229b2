import {
  evolve,
  initialState,
  nextRun,
  toIso,
  type EndpointState,
  type RecordedEvent,
} from '@orrery/domain';
import { runIdOf } from './fleet-ids.js';
import type { Dispatch, RunLog } from './run-log.js';

// "Every slot due before the cut-off ran exactly once", where "due" is what
// the governor says, not a count of grid points: when an endpoint's cycle
// outlasts its interval, or the dispatcher falls behind, the governor
// coalesces the missed slots into the next run (no catch-up burst). So the
// check replays the governor over each stream instead of counting.

/**
 * Why `state` still owes a slot due before `cutoff` (null: it owes none):
 * the governor has a run due before the cut-off, or a run for a slot before
 * the cut-off is dispatched but not recorded yet.
 */
export function owedBefore(state: EndpointState, cutoff: number): string | null {
  const { inFlight } = state;
  if (inFlight !== null && inFlight.scheduledFor < cutoff) {
    return `${inFlight.runId} (slot ${toIso(inFlight.scheduledFor)}) is not recorded`;
  }
  const next = nextRun(state, cutoff);
  if (next.at !== null && next.at < cutoff) {
    return `slot ${toIso(next.slot)} (${next.reason}) was due at ${toIso(next.at)} and never dispatched`;
  }
  return null;
}

/**
 * (a) Every slot the governor deemed due before `cutoff` ran exactly once. Per
 * endpoint, replaying the governor (`nextRun` on the fold of the stream up to
 * each dispatch, at the dispatch time; a run dispatched ahead must be due at its `startAt`, within
 * the horizon) gives exactly the slots dispatched as
 * first attempts, in order, each under its slot's run id; a later attempt only
 * repeats the run in flight once its lease has lapsed; every response records
 * the run in flight (so each run is recorded once); and at the end of the log
 * no slot due before the cut-off is left (`owedBefore`).
 */
export function slotReplayProblems(
  endpointIds: readonly string[],
  log: RunLog,
  cutoff: number,
): string[] {
  return endpointIds.flatMap((endpointId) => {
    const stream = log.streams.get(endpointId);
    return stream === undefined ? [`${endpointId}: no stream`] : replay(endpointId, stream, cutoff);
  });
}

function replay(endpointId: string, stream: readonly RecordedEvent[], cutoff: number): string[] {
  const problems: string[] = [];
  let state = initialState();
  for (const event of stream) {
    if (event.type === 'RunDispatched') {
      const problem = dispatchProblem(endpointId, state, event);
      if (problem !== null) problems.push(`${endpointId}: ${problem}`);
    } else if (event.type === 'ResponseRecorded' && !event.data.test) {
      const inFlight = state.inFlight?.runId ?? 'none';
      if (event.data.runId !== inFlight) {
        problems.push(
          `${endpointId}: response for ${event.data.runId}, run in flight: ${inFlight}`,
        );
      }
    }
    state = evolve(state, event);
  }
  const owed = owedBefore(state, cutoff);
  if (owed !== null) problems.push(`${endpointId}: ${owed}`);
  return problems;
}

/** The longest dispatch-ahead horizon a service accepts (DISPATCH_AHEAD_MS ≤ 1000). */
const MAX_AHEAD_MS = 1_000;

/** What is wrong with `dispatch` given the state just before it (null: nothing). */
function dispatchProblem(
  endpointId: string,
  state: EndpointState,
  dispatch: Dispatch,
): string | null {
  const { runId, attempt, reason } = dispatch.data;
  const slot = Date.parse(dispatch.data.scheduledFor);
  const at = Date.parse(dispatch.data.dispatchedAt);
  // A run dispatched ahead (docs/scheduling.md#dispatch-ahead) starts at `startAt`.
  const startAt = dispatch.data.startAt === undefined ? null : Date.parse(dispatch.data.startAt);
  const ahead = startAt === null ? '' : ` to start at ${toIso(startAt)}`;
  const got = `${runId} attempt ${attempt} (${reason}) for slot ${toIso(slot)} at ${toIso(at)}${ahead}`;
  const { inFlight } = state;
  if (inFlight !== null) {
    const redispatch =
      runId === inFlight.runId &&
      slot === inFlight.scheduledFor &&
      attempt === inFlight.attempt + 1 &&
      reason === 'lease_expired' &&
      at >= inFlight.leaseUntil;
    return redispatch
      ? null
      : `dispatched ${got} while ${inFlight.runId} attempt ${inFlight.attempt}` +
          ` held the endpoint until ${toIso(inFlight.leaseUntil)}`;
  }
  const next = nextRun(state, at);
  if (startAt !== null) {
    // Ahead: a new slot, decided at most MAX_AHEAD_MS before the time the governor gave it.
    const inHorizon = startAt > at && startAt - at <= MAX_AHEAD_MS;
    if (!inHorizon || next.at !== startAt) {
      const due = next.at === null ? 'never' : toIso(next.at);
      return `dispatched ${got}; the governor had it due at ${due} (${next.reason})`;
    }
  } else if (next.at === null || next.at > at) {
    const until = next.at === null ? 'never' : toIso(next.at);
    return `dispatched ${got}; the governor had nothing due (${next.reason}, next: ${until})`;
  }
  const wantRunId = runIdOf(endpointId, next.slot);
  const asGoverned =
    slot === next.slot && runId === wantRunId && attempt === 1 && reason === next.reason;
  return asGoverned
    ? null
    : `dispatched ${got}; the governor said ${wantRunId} attempt 1 (${next.reason})` +
        ` for slot ${toIso(next.slot)}`;
}
