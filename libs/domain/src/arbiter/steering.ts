import type { Millis } from '../time.js';
import { MAX_ANTI_THRASH_CHANGES } from './policy.js';

/**
 * What the arbiter remembers of an endpoint's past decisions: the positions proposals are
 * judged stale against, the direction automated interval hints last took and when it changed,
 * and the extra runs planners induced. Folded from the endpoint's own events, so replay gives
 * the same verdicts.
 */
export interface SteeringState {
  /** Log position of the latest (non-test) ResponseRecorded; 0 before any. */
  readonly lastResponsePosition: number;
  /** Log position of the latest Paused or Resumed; 0 before any. */
  readonly pausePosition: number;
  /** The interval the latest automated (non-user) interval hint applied. */
  readonly lastIntervalMs: number | null;
  /** Which way that hint moved the interval. */
  readonly direction: 'faster' | 'slower' | null;
  /** When automated interval hints changed direction, newest last (at most MAX_CHANGES_REMEMBERED). */
  readonly changes: readonly Millis[];
  /** Direction changes are refused until then (anti-thrash). */
  readonly cooldownUntil: Millis | null;
  /** Planner-induced extra runs by when they were granted, newest last (see MAX_GRANTS_REMEMBERED). */
  readonly extraRuns: readonly { readonly at: Millis; readonly runs: number }[];
}

/**
 * Direction changes kept: as many as the largest anti-thrash limit counts, so that no change is
 * forgotten while a limit still counts it.
 */
export const MAX_CHANGES_REMEMBERED = MAX_ANTI_THRASH_CHANGES;
/**
 * Extra-run grants kept. Beyond it the two oldest merge into one at the later one's time: the
 * budget may then count a grant a little longer than its window, never forget it.
 */
export const MAX_GRANTS_REMEMBERED = 256;

export const emptySteering = (): SteeringState => ({
  lastResponsePosition: 0,
  pausePosition: 0,
  lastIntervalMs: null,
  direction: null,
  changes: [],
  cooldownUntil: null,
  extraRuns: [],
});

export const rememberChange = (changes: readonly Millis[], at: Millis): readonly Millis[] =>
  changes.length < MAX_CHANGES_REMEMBERED ? [...changes, at] : [...changes.slice(1), at];

export function rememberGrant(
  grants: SteeringState['extraRuns'],
  grant: SteeringState['extraRuns'][number],
): SteeringState['extraRuns'] {
  const [first, second, ...rest] = grants;
  if (grants.length < MAX_GRANTS_REMEMBERED || !first || !second) return [...grants, grant];
  return [{ at: second.at, runs: first.runs + second.runs }, ...rest, grant];
}
