import { nextRun } from '../governor/governor.js';
import type { ScheduleDecision } from '../governor/decision.js';
import type { Millis } from '../time.js';
import { isPaused } from './decide-hints.js';
import { jobPauseAt, NO_HOLDS, type Holds } from '../governor/holds.js';
import type { EndpointState } from './state.js';

/** When an endpoint is next due for the dispatcher, and why. */
export interface ScheduleView {
  /** When to dispatch (null: never, until an event changes that). */
  readonly dueAt: Millis | null;
  /** The slot to record as RunDispatched.scheduledFor. */
  readonly slot: Millis | null;
  readonly reason: string;
  /** A run to dispatch again (its lease lapsed), instead of a new slot. */
  readonly redispatchRunId: string | null;
  readonly decision: ScheduleDecision;
  /** Earliest expiry among live hints: the projection appends HintExpired then. */
  readonly hintExpiresAt: Millis | null;
}

/**
 * The governor's decision, plus what dispatch adds: a run in flight holds the
 * endpoint until its lease lapses, and then the same run (same id, same slot)
 * is due again — at-least-once execution without a second slot.
 */
export function scheduleOf(
  state: EndpointState,
  now: Millis,
  holds: Holds = NO_HOLDS,
): ScheduleView {
  const decision = nextRun(state, now, holds);
  const expiries = [state.hints.interval?.expiresAt, state.hints.oneShot?.expiresAt].filter(
    (t): t is number => t !== undefined,
  );
  const hintExpiresAt = expiries.length > 0 ? Math.min(...expiries) : null;
  const inFlight = state.inFlight;
  if (inFlight && state.status === 'active' && isHeld(state, now, holds)) {
    // Pause wins even over a lost run: it is re-dispatched when the pause ends (never, once
    // its job is archived).
    return {
      dueAt: decision.at,
      slot: inFlight.scheduledFor,
      reason: decision.reason,
      redispatchRunId: inFlight.runId,
      decision,
      hintExpiresAt,
    };
  }
  if (inFlight && state.status === 'active') {
    return {
      dueAt: inFlight.leaseUntil,
      slot: inFlight.scheduledFor,
      reason: 'lease_expired',
      redispatchRunId: inFlight.runId,
      decision,
      hintExpiresAt,
    };
  }
  return {
    dueAt: decision.at,
    slot: decision.slot,
    reason: decision.reason,
    redispatchRunId: null,
    decision,
    hintExpiresAt,
  };
}

/** Whether the endpoint is held at `now`: paused itself, its job paused or archived, its tenant disabled. */
export const isHeld = (state: EndpointState, now: Millis, holds: Holds): boolean =>
  isPaused(state, now) ||
  holds.job?.archived === true ||
  holds.tenant?.disabled != null ||
  jobPauseAt(holds, now) !== null;

/** The run id of a slot: one slot of one endpoint has exactly one run id. */
export const runIdFor = (endpointId: string, slot: Millis): string =>
  `run-${endpointId}-${slot.toString(36)}`;
