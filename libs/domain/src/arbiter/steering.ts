import type { Millis } from '../time.js';

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
  /** When automated interval hints changed direction, newest last (at most MAX_REMEMBERED). */
  readonly changes: readonly Millis[];
  /** Direction changes are refused until then (anti-thrash). */
  readonly cooldownUntil: Millis | null;
  /** Planner-induced extra runs by when they were granted, newest last (at most MAX_REMEMBERED). */
  readonly extraRuns: readonly { readonly at: Millis; readonly runs: number }[];
}

/** Entries kept in `changes` and `extraRuns`: more than any window's limit needs. */
export const MAX_STEERING_REMEMBERED = 256;

export const emptySteering = (): SteeringState => ({
  lastResponsePosition: 0,
  pausePosition: 0,
  lastIntervalMs: null,
  direction: null,
  changes: [],
  cooldownUntil: null,
  extraRuns: [],
});

export const remember = <T>(list: readonly T[], item: T): readonly T[] =>
  list.length < MAX_STEERING_REMEMBERED ? [...list, item] : [...list.slice(1), item];
