import type { EndpointState, IntervalHint, OneShotHint } from '../endpoint/state.js';
import type { Millis } from '../time.js';
import type { IgnoredHint } from './decision.js';

export interface LiveHints {
  readonly interval: IntervalHint | null;
  readonly oneShot: OneShotHint | null;
  readonly ignored: readonly IgnoredHint[];
}

/**
 * The hints the governor may use at `now`. A hint is live while `now < expiresAt`: one past its
 * TTL is ignored at once, even before `HintExpired` clears its slot.
 *
 * A one-shot hint whose `runAt` is at or before the last dispatch is also ignored: a run already
 * happened at or after the time it asked for. (`evolve` spends a one-shot when the run it caused
 * is dispatched; this covers a run dispatched for another reason, e.g. a baseline slot that tied
 * with it, so the hint cannot cause a second, redundant run.)
 */
export function liveHints(state: EndpointState, now: Millis): LiveHints {
  const ignored: IgnoredHint[] = [];
  let { interval, oneShot } = state.hints;
  if (interval !== null && interval.expiresAt <= now) {
    ignored.push(ignoredHint('interval', interval, 'expired'));
    interval = null;
  }
  if (oneShot !== null && oneShot.expiresAt <= now) {
    ignored.push(ignoredHint('oneShot', oneShot, 'expired'));
    oneShot = null;
  } else if (
    oneShot !== null &&
    state.lastRun !== null &&
    oneShot.runAt <= state.lastRun.dispatchedAt
  ) {
    ignored.push(ignoredHint('oneShot', oneShot, 'satisfied'));
    oneShot = null;
  }
  return { interval, oneShot, ignored };
}

const ignoredHint = (
  slot: IgnoredHint['slot'],
  hint: IntervalHint | OneShotHint,
  why: IgnoredHint['why'],
): IgnoredHint => ({ slot, hintId: hint.hintId, expiresAt: hint.expiresAt, why });
