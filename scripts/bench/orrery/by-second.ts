import { summarize } from '../stats.js';

/** Call-start lateness of the slots of one second. */
export interface SecondOfLateness {
  /** Seconds from the start given to {@link bySecond} (0: the first). */
  readonly second: number;
  readonly runs: number;
  readonly p99: number;
  readonly max: number;
}

/**
 * Call-start lateness second by second of slot time from `start`: whether the late calls came in
 * one stretch (a backlog draining: after a start, after a stall) or spread. `start_ms` null (no
 * call recorded) is left out.
 */
export function bySecond(
  start: number,
  rows: readonly { readonly start_ms: number | null; readonly slot_ms: number }[],
): SecondOfLateness[] {
  const seconds: number[][] = [];
  for (const row of rows) {
    if (row.start_ms === null) continue;
    const second = Math.floor((Number(row.slot_ms) - start) / 1000);
    if (second >= 0) (seconds[second] ??= []).push(Number(row.start_ms));
  }
  return Array.from(seconds, (values = [], second) => {
    const summary = summarize(values);
    return { second, runs: summary.count, p99: summary.p99, max: summary.max };
  });
}

/**
 * The first second (from the start given to {@link bySecond}) whose p99 is within `targetMs`: how
 * long a start took to settle into the steady load. Null if none was.
 */
export const settledSecond = (
  seconds: readonly SecondOfLateness[],
  targetMs: number,
): number | null => seconds.find((s) => s.runs > 0 && s.p99 <= targetMs)?.second ?? null;

/** A line of numbers, one a second (`–`: no call that second). */
export const perSecondLine = (
  seconds: readonly SecondOfLateness[],
  pick: (second: SecondOfLateness) => number,
): string => seconds.map((s) => (s.runs === 0 ? '–' : pick(s).toFixed(0))).join(' ');
