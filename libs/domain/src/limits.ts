import type { Millis } from './time.js';

const DAY = 24 * 60 * 60_000;

/**
 * The longest duration anywhere in a schedule: intervals and their bounds, the backoff cap, hint
 * TTLs, "run in N ms". 366 days. Every instant the governor computes is an instant from the log
 * plus at most a few of these, so it stays far inside {@link MAX_INSTANT}.
 */
export const MAX_DURATION_MS = 366 * DAY;

/** How far ahead an absolute time may be set (a pause's end): 100 years. */
export const MAX_HORIZON_MS = 100 * 365 * DAY;

/**
 * The latest instant Orrery stores: 9999-12-31T23:59:59.999Z. Four-digit ISO-8601 years are what
 * the event schemas, JSON and PostgreSQL all round-trip; `Date` itself reaches year 275760, so a
 * sum of large durations could otherwise produce a time that no event or row can hold.
 */
export const MAX_INSTANT: Millis = Date.UTC(9999, 11, 31, 23, 59, 59, 999);

/** Whether `ms` is an instant Orrery can record: a whole millisecond in [1970, MAX_INSTANT]. */
export const isRepresentableInstant = (ms: number): boolean =>
  Number.isInteger(ms) && ms >= 0 && ms <= MAX_INSTANT;
