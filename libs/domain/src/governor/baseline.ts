import type { EndpointConfig } from '../endpoint/config.js';
import type { LastRun } from '../endpoint/state.js';
import { fromIso, type Millis } from '../time.js';
import { cronAfter, cronAtOrAfter, type CronSpec } from './cron.js';
import type { BackoffInput } from './decision.js';

/** The baseline's (or an interval hint's) next time, before jitter and clamps. */
export interface Cadence {
  /** Null only when a cron expression has no occurrence left. */
  readonly at: Millis | null;
  readonly backoff: BackoffInput | null;
}

/**
 * The next slot on a fixed-interval grid anchored on the last run's slot:
 * `scheduledFor + k * stepMs` with the smallest `k >= 1` that lies after `dispatchedAt`.
 *
 * Why anchor on `scheduledFor` and not `dispatchedAt`: a punctual run dispatched a few ms late
 * keeps its cadence instead of drifting by that lateness every run. Why "after dispatchedAt":
 * when the dispatcher was down for several intervals the missed slots coalesce into one run
 * (the one just dispatched) and the next slot is the first one still ahead of it — no
 * catch-up burst.
 */
export function nextOnGrid(lastRun: LastRun, stepMs: number): Millis {
  const { scheduledFor, dispatchedAt } = lastRun;
  const k = Math.max(1, Math.floor((dispatchedAt - scheduledFor) / stepMs) + 1);
  return scheduledFor + k * stepMs;
}

/**
 * Exponential failure backoff: `max(baseMs, min(round(baseMs * factor ** failures), maxMs))`, so it
 * never makes runs more frequent than the schedule itself (a `maxMs` below the interval is moot).
 */
export function backoffDelay(
  baseMs: number,
  failures: number,
  backoff: EndpointConfig['backoff'],
): number {
  // factor ** failures may overflow to Infinity; min() with maxMs keeps it finite. Rounded so
  // that instants stay whole milliseconds with a fractional factor.
  const grown = Math.round(baseMs * backoff.factor ** failures);
  return Math.max(baseMs, Math.min(grown, backoff.maxMs));
}

/**
 * The first slot of an endpoint that has never run, by its start policy (see `StartPolicy`):
 * `immediately` → registration; `at` → that instant; `next_slot` → one interval after
 * registration, or the cron's first occurrence after it. Without a policy (endpoints registered
 * before it existed) an interval ran at registration and a cron at its first occurrence. A
 * trigger-only endpoint (`none`) has no first slot of its own.
 */
export function firstSlot(
  config: Pick<EndpointConfig, 'baseline' | 'start'>,
  registeredAt: Millis,
): Millis | null {
  const { baseline, start } = config;
  if (start?.kind === 'immediately') return registeredAt;
  if (start?.kind === 'at') return fromIso(start.at);
  if (baseline.kind === 'none') return null;
  if (baseline.kind === 'cron') return cronAfter(baseline, registeredAt);
  return start?.kind === 'next_slot' ? registeredAt + baseline.everyMs : registeredAt;
}

/** Interval baseline after a run: the next point of its grid, with failure backoff. */
export function intervalCadence(
  everyMs: number,
  lastRun: LastRun,
  failures: number,
  backoff: EndpointConfig['backoff'],
): Cadence {
  if (failures <= 0) return { at: nextOnGrid(lastRun, everyMs), backoff: null };
  // The backed-off delay becomes the grid step: same anchoring, so missed slots still coalesce.
  const delayMs = backoffDelay(everyMs, failures, backoff);
  return {
    at: nextOnGrid(lastRun, delayMs),
    backoff: { failures, ...backoff, baseMs: everyMs, delayMs, notBefore: null },
  };
}

/**
 * Cron baseline after a run: the first occurrence strictly after `max(scheduledFor, dispatchedAt)`: after `scheduledFor` so the
 * slot just run is not run again (even when dispatched early by a max clamp), after
 * `dispatchedAt` so slots missed while the dispatcher was behind coalesce into the run that
 * was dispatched (no catch-up burst).
 *
 * Backoff: cron has no single interval, so the base is the local gap between slots — from the
 * nominal next slot to the one after it (for `0 * * * *` one hour; for `0 9 * * MON-FRI` one day
 * or three). With failures the run waits for the first occurrence at or after
 * `scheduledFor + delay`, so it always lands on a slot of the expression. When the gap already
 * reaches `backoff.maxMs` (e.g. a daily cron with the default 1 h cap) backoff changes nothing.
 */
export function cronCadence(
  spec: CronSpec,
  lastRun: LastRun,
  failures: number,
  backoff: EndpointConfig['backoff'],
): Cadence {
  const nominal = cronAfter(spec, Math.max(lastRun.scheduledFor, lastRun.dispatchedAt));
  if (nominal === null || failures <= 0) return { at: nominal, backoff: null };
  const following = cronAfter(spec, nominal);
  // The last slot there will ever be: there is no gap to grow, so no backoff.
  if (following === null) return { at: nominal, backoff: null };
  const baseMs = following - nominal;
  const delayMs = backoffDelay(baseMs, failures, backoff);
  // Measured from the slot, not the dispatch: a run dispatched a few ms late
  // must not push a factor-1 backoff past the next slot.
  const notBefore = lastRun.scheduledFor + delayMs;
  const at = notBefore <= nominal ? nominal : cronAtOrAfter(spec, notBefore);
  return { at, backoff: { failures, ...backoff, baseMs, delayMs, notBefore } };
}
