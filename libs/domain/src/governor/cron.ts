import { Cron } from 'croner';
import { MAX_INSTANT } from '../limits.js';
import type { Millis } from '../time.js';

/** A cron baseline: a croner expression read in an IANA zone (or UTC). */
export interface CronSpec {
  readonly expression: string;
  readonly timezone: string;
}

// Parsed expressions, reused across calls. The cache cannot change a result: a paused Cron
// without a callback has no timer and `nextRun(ref)` depends only on the pattern and `ref`.
const MAX_CACHED = 1_000;
const cache = new Map<string, Cron>();

function cronFor({ expression, timezone }: CronSpec): Cron {
  const key = `${timezone}\u0000${expression}`;
  let cron = cache.get(key);
  if (cron === undefined) {
    cron = new Cron(expression, { timezone, paused: true });
    if (cache.size >= MAX_CACHED) cache.clear();
    cache.set(key, cron);
  }
  return cron;
}

/**
 * The first occurrence strictly after `t`, or null when the expression has none left.
 *
 * DST is croner's (v11) rule for "fixed-time" expressions (a single second, minute and hour,
 * e.g. `30 2 * * *`): a local time skipped by spring-forward runs at the first valid instant
 * after the gap (02:30 on a 02:00→03:00 day runs at 03:00), and a local time repeated by
 * fall-back runs once, at its first (summer-time) occurrence. Other expressions (`*\/30 2 * * *`)
 * skip times in the gap and run on both occurrences of a repeated time, as wall-clock
 * intervals do.
 */
export function cronAfter(spec: CronSpec, t: Millis): Millis | null {
  // Occurrences are whole seconds and croner steps from the second after `t`, so this is
  // strictly after `t` at millisecond resolution.
  if (t >= MAX_INSTANT) return null;
  const next = cronFor(spec).nextRun(new Date(t));
  // Beyond the last instant the log can hold, the expression is as good as exhausted.
  return next === null || next.getTime() > MAX_INSTANT ? null : next.getTime();
}

/** The first occurrence at or after `t`. */
export const cronAtOrAfter = (spec: CronSpec, t: Millis): Millis | null => cronAfter(spec, t - 1);
