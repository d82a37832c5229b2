import type { EndpointConfig } from '../endpoint/config.js';
import type { EndpointState } from '../endpoint/state.js';
import { isRepresentableInstant } from '../limits.js';
import type { Millis } from '../time.js';
import { cronCadence, firstSlot, intervalCadence, nextOnGrid, type Cadence } from './baseline.js';
import { clampToBounds } from './clamp.js';
import type {
  Anchor,
  CascadeDecisionInput,
  DecisionInputs,
  ScheduleDecision,
  ScheduledReason,
} from './decision.js';
import { liveHints, type LiveHints } from './hints.js';
import { jobPauseAt, NO_HOLDS, type Holds } from './holds.js';
import { jitterOffset } from './jitter.js';

/**
 * When should this endpoint run next, and why. Pure: the same state and `now` always give the
 * same decision (jitter is a hash, not a random draw). Rules, in order:
 *
 * 1. Unregistered or archived (the endpoint or its job), or its tenant disabled: never. Paused — the endpoint itself or
 *    its job (`holds`) — until T > now: T (the later of the two ends); paused until resumed:
 *    never. Pause wins over everything below (no clamp, no jitter); a pause with T <= now has
 *    lapsed.
 * 2. A live interval hint replaces the baseline interval and its failure backoff.
 * 3. A live one-shot hint competes with the baseline (or interval hint): the earlier wins.
 * 4. Baseline: a fixed interval or cron, with exponential failure backoff (see `baseline.ts`).
 * 5. Clamp to `[lastRun.dispatchedAt + minIntervalMs, lastRun.dispatchedAt + maxIntervalMs]`.
 * 6. Jitter in `[0, jitterMs)` on baseline times only. It is added before the one-shot
 *    competition and before the clamp, so the clamp bounds always hold for the final `at`.
 *
 * A run in flight does not change the answer (the dispatcher's lease handles it); it is only
 * recorded in `inputs`. `at` may lie before `now`: the run is overdue and due at once.
 *
 * `at` is always an instant the log can hold ({@link isRepresentableInstant}): accepted
 * configurations cannot produce another, and a state that would (a value written before the
 * bounds existed) answers "never" with reason `out_of_range` rather than a time nothing can store.
 *
 * @throws Error when an active endpoint has no config (a broken invariant of `evolve`).
 * @example
 * const d = nextRun(state, now);
 * if (d.at !== null && d.at <= now) dispatch({ scheduledFor: d.slot, reason: d.reason });
 */
export function nextRun(
  state: EndpointState,
  now: Millis,
  holds: Holds = NO_HOLDS,
): ScheduleDecision {
  const base = initialInputs(state, now, holds);
  if (state.status === 'unregistered' || state.status === 'archived') {
    return { at: null, slot: null, reason: state.status, inputs: base };
  }
  const config = state.config;
  if (config === null) throw new Error(`active endpoint ${state.endpointId} has no config`);
  if (holds.job?.archived) return { at: null, slot: null, reason: 'job_archived', inputs: base };
  if (holds.tenant?.disabled) {
    return { at: null, slot: null, reason: 'tenant_disabled', inputs: base };
  }

  const { pause } = state;
  if (pause !== null && pause.until === null) {
    return { at: null, slot: null, reason: 'paused_indefinitely', inputs: base };
  }
  const jobPause = jobPauseAt(holds, now);
  if (jobPause !== null && jobPause.until === null) {
    return { at: null, slot: null, reason: 'job_paused_indefinitely', inputs: base };
  }
  // An open breaker holds the endpoint until its upstream succeeds, whatever a pause says.
  if ((base.cascade?.failingEdges.length ?? 0) > 0) {
    return { at: null, slot: null, reason: 'upstream_failing', inputs: base };
  }
  const own = pause !== null && pause.until !== null && pause.until > now ? pause.until : null;
  const job = jobPause?.until ?? null;
  if (own !== null || job !== null) {
    // Both hold: the run waits for the later end.
    const until = Math.max(own ?? -Infinity, job ?? -Infinity);
    return {
      at: until,
      slot: until,
      reason: until === own ? 'paused' : 'job_paused',
      inputs: base,
    };
  }

  const hints = liveHints(state, now);
  const anchored = withSkipAnchor(state);
  const { lastRun } = anchored;
  const [cadence, cadenceReason] = cadenceOf(anchored, config, hints);

  // Jitter belongs to the baseline slot only: hints ask for a precise time and get it.
  const jitter =
    hints.interval === null && cadence.at !== null && config.jitterMs > 0
      ? {
          slot: cadence.at,
          offsetMs: jitterOffset(state.endpointId, cadence.at, config.jitterMs),
          jitterMs: config.jitterMs,
        }
      : null;
  const cadenceAt = cadence.at === null ? null : cadence.at + (jitter?.offsetMs ?? 0);

  // Strictly earlier: on a tie the cadence keeps the slot (and the one-shot is then satisfied).
  const { oneShot } = hints;
  const oneShotBeats = oneShot !== null && (cadenceAt === null || oneShot.runAt < cadenceAt);
  const scheduled = oneShotBeats ? oneShot.runAt : cadenceAt;
  // A fired cascade is due from when it fired; the oldest waiting competes like a one-shot.
  const head = state.cascade.pending[0] ?? null;
  const cascadeWins = head !== null && (scheduled === null || head.triggeredAt <= scheduled);
  const oneShotWins = oneShotBeats && !cascadeWins;
  const candidate = cascadeWins ? head.triggeredAt : scheduled;
  const { at, clamp } = clampToBounds(candidate, lastRun, config);

  const inputs: DecisionInputs = {
    ...base,
    anchor: anchorOf(state),
    backoff: cadence.backoff,
    intervalHint:
      hints.interval === null
        ? null
        : {
            hintId: hints.interval.hintId,
            source: hints.interval.source,
            sourceId: hints.interval.sourceId,
            intervalMs: hints.interval.intervalMs,
            expiresAt: hints.interval.expiresAt,
          },
    oneShotHint:
      oneShot === null
        ? null
        : {
            hintId: oneShot.hintId,
            source: oneShot.source,
            sourceId: oneShot.sourceId,
            runAt: oneShot.runAt,
            expiresAt: oneShot.expiresAt,
            won: oneShotWins,
          },
    ignoredHints: hints.ignored,
    cadenceAt: cadence.at,
    jitter,
    candidate,
    clamp,
    cascade:
      base.cascade === null || head === null
        ? base.cascade
        : {
            ...base.cascade,
            head: { cascadeId: head.cascadeId, triggeredAt: head.triggeredAt, won: cascadeWins },
          },
  };
  if (at === null) {
    const never = config.baseline.kind === 'none' ? 'trigger_only' : 'cron_exhausted';
    return { at: null, slot: null, reason: never, inputs };
  }

  // The slot is the time without jitter. A min clamp only delays the slot's run, so the slot
  // (and the grid anchored on it) stays; a max clamp pulls in a run the schedule did not have,
  // so that run is its own slot.
  const unjittered = cascadeWins ? head.triggeredAt : oneShotWins ? oneShot.runAt : cadence.at;
  const slot = clamp?.bound === 'max' || unjittered === null ? at : unjittered;
  if (!isRepresentableInstant(at) || !isRepresentableInstant(slot)) {
    return { at: null, slot: null, reason: 'out_of_range', inputs };
  }
  const reason = cascadeWins ? 'cascade' : oneShotWins ? 'one_shot_hint' : cadenceReason;
  return { at, slot, reason, inputs };
}

/** Rules 2 and 4: the interval hint, or else the baseline with its backoff (and start policy). */
function cadenceOf(
  state: EndpointState,
  config: EndpointConfig,
  hints: LiveHints,
): [Cadence, ScheduledReason] {
  const { lastRun, registeredAt, consecutiveFailures } = state;
  if (hints.interval !== null) {
    // A hint replaces the interval and its backoff; never run yet means due right away.
    const at = lastRun === null ? registeredAt : nextOnGrid(lastRun, hints.interval.intervalMs);
    return [{ at, backoff: null }, 'interval_hint'];
  }
  if (lastRun === null)
    return [{ at: firstSlot(config, registeredAt), backoff: null }, 'first_run'];
  const { baseline, backoff } = config;
  switch (baseline.kind) {
    case 'interval':
      return [
        intervalCadence(baseline.everyMs, lastRun, consecutiveFailures, backoff),
        'baseline_interval',
      ];
    case 'cron':
      return [cronCadence(baseline, lastRun, consecutiveFailures, backoff), 'baseline_cron'];
    case 'none':
      // Trigger-only: only the max interval (the clamp) gives it a time of its own.
      return [{ at: null, backoff: null }, 'max_interval'];
  }
}

/**
 * The state as the cadence and the clamp see it: a baseline slot skipped by a closed gate anchors
 * the next slot like a run would (the schedule moves on, and a max-interval slot is not skipped
 * over and over), without being a run for freshness or explain.
 */
function withSkipAnchor(state: EndpointState): EndpointState {
  const { lastSkip, lastRun } = state;
  if (lastSkip === null || (lastRun !== null && lastRun.scheduledFor >= lastSkip.scheduledFor)) {
    return state;
  }
  const at = lastSkip.scheduledFor;
  return { ...state, lastRun: { runId: '', scheduledFor: at, dispatchedAt: at } };
}

function anchorOf({ lastRun, registeredAt }: EndpointState): Anchor {
  return lastRun === null
    ? { kind: 'registeredAt', at: registeredAt }
    : {
        kind: 'lastRun',
        runId: lastRun.runId,
        scheduledFor: lastRun.scheduledFor,
        dispatchedAt: lastRun.dispatchedAt,
      };
}

function initialInputs(state: EndpointState, now: Millis, holds: Holds): DecisionInputs {
  const { pause, inFlight } = state;
  return {
    now,
    status: state.status,
    job: holds.job,
    tenant: holds.tenant ?? null,
    pause:
      pause === null
        ? null
        : {
            until: pause.until,
            reason: pause.reason,
            lapsed: pause.until !== null && pause.until <= now,
          },
    baseline: state.config?.baseline ?? null,
    anchor: null,
    backoff: null,
    intervalHint: null,
    oneShotHint: null,
    ignoredHints: [],
    cadenceAt: null,
    jitter: null,
    candidate: null,
    clamp: null,
    inFlight:
      inFlight === null
        ? null
        : { runId: inFlight.runId, leaseUntil: inFlight.leaseUntil, attempt: inFlight.attempt },
    cascade: cascadeInputsOf(state),
  };
}

function cascadeInputsOf(state: EndpointState): CascadeDecisionInput | null {
  // Snapshots written before cascades existed have no cascade state (they are folded again).
  const cascade = state.cascade as EndpointState['cascade'] | undefined;
  if (cascade === undefined) return null;
  const edges = Object.values(cascade.edges);
  if (edges.length === 0 && cascade.pending.length === 0) return null;
  return {
    pending: cascade.pending.length,
    head: null,
    failingEdges: edges.filter((e) => e.failing).map((e) => e.edge.edgeId),
  };
}
