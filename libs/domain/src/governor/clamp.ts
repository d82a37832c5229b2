import type { EndpointConfig } from '../endpoint/config.js';
import type { LastRun } from '../endpoint/state.js';
import type { Millis } from '../time.js';
import type { ClampInput } from './decision.js';

export interface Clamped {
  readonly at: Millis | null;
  readonly clamp: ClampInput | null;
}

/**
 * Keeps a candidate within `[dispatchedAt + minIntervalMs, dispatchedAt + maxIntervalMs]` of the
 * last run (max only when set). Measured from `dispatchedAt`, the time the endpoint was really
 * called, because the bounds protect the endpoint (min) and its freshness (max), not the grid.
 *
 * A null candidate (a cron with no occurrence left) counts as "never", so the max bound gives
 * it a time. If a misconfigured max were below min, min wins: spacing runs out protects the
 * endpoint, which matters more than freshness. Without a last run there is nothing to measure
 * from and the candidate passes through.
 */
export function clampToBounds(
  candidate: Millis | null,
  lastRun: LastRun | null,
  config: Pick<EndpointConfig, 'minIntervalMs' | 'maxIntervalMs'>,
): Clamped {
  if (lastRun === null) return { at: candidate, clamp: null };
  const { minIntervalMs, maxIntervalMs } = config;
  const lower = lastRun.dispatchedAt + minIntervalMs;
  if (maxIntervalMs !== undefined) {
    // The schema keeps max >= min; should a state break that, min wins (see above).
    const upper = Math.max(lower, lastRun.dispatchedAt + maxIntervalMs);
    if (candidate === null || candidate > upper) {
      return { at: upper, clamp: { bound: 'max', limit: upper, intervalMs: maxIntervalMs } };
    }
  }
  if (candidate !== null && candidate < lower) {
    return { at: lower, clamp: { bound: 'min', limit: lower, intervalMs: minIntervalMs } };
  }
  return { at: candidate, clamp: null };
}
