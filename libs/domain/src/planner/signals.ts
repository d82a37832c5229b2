import type { Millis } from '../time.js';

/**
 * The coordination signals a response body may carry (docs/coordination-signals.md is the
 * contract). Read from the top level of a JSON object body; a field of the wrong type is
 * ignored, never guessed at.
 */
export interface CoordinationSignals {
  /** Run this endpoint once more, now. */
  readonly requestImmediateCheck: boolean;
  /** Run this endpoint at this interval for `hintTtlMs`. */
  readonly recommendedIntervalMs: number | null;
  /** How long an interval signal holds (default 10 min). */
  readonly hintTtlMs: number | null;
  /** Do not run this endpoint before this instant. */
  readonly cooldownUntil: Millis | null;
  /** Hold this endpoint until this instant. */
  readonly pauseUntil: Millis | null;
  /** Run every declared downstream once, now. */
  readonly readyForNextStage: boolean;
  /** Run every declared downstream at this interval for `hintTtlMs`. */
  readonly downstreamIntervalMs: number | null;
}

const positiveInt = (value: unknown): number | null =>
  typeof value === 'number' && Number.isInteger(value) && value > 0 ? value : null;

/** A date and time with a zone: `2026-11-30T12:05:00Z`, `…:00.250+01:00`. */
const ISO_INSTANT =
  /^(\d{4})-(\d{2})-(\d{2})T(?:[01]\d|2[0-3]):[0-5]\d(?::[0-5]\d(?:\.\d+)?)?(?:Z|[+-](?:[01]\d|2[0-3]):[0-5]\d)$/i;

// Only an ISO-8601 instant: Date.parse alone would guess (`"12"` is 2001-12-01, a time without
// a zone is the server's local time, `2026-02-30` rolls over into March).
const instant = (value: unknown): Millis | null => {
  if (typeof value !== 'string') return null;
  const parts = ISO_INSTANT.exec(value);
  if (!parts) return null;
  const month = Number(parts[2]) - 1;
  const day = Number(parts[3]);
  const date = new Date(Date.UTC(Number(parts[1]), month, day));
  if (date.getUTCMonth() !== month || date.getUTCDate() !== day) return null;
  const at = Date.parse(value);
  return Number.isFinite(at) ? at : null;
};

/** The signals in a response body (none for a body that is not a JSON object). */
export function readSignals(body: unknown): CoordinationSignals {
  const b =
    typeof body === 'object' && body !== null && !Array.isArray(body)
      ? (body as Record<string, unknown>)
      : {};
  return {
    requestImmediateCheck: b['request_immediate_check'] === true,
    recommendedIntervalMs: positiveInt(b['recommended_interval_ms']),
    hintTtlMs: positiveInt(b['hint_ttl_ms']),
    cooldownUntil: instant(b['cooldown_until']),
    pauseUntil: instant(b['pause_until']),
    readyForNextStage: b['ready_for_next_stage'] === true,
    downstreamIntervalMs: positiveInt(b['downstream_interval_ms']),
  };
}
