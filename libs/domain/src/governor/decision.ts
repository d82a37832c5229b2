import type { Baseline } from '../endpoint/config.js';
import type { EndpointState } from '../endpoint/state.js';
import type { HintSource } from '../events/catalogue.js';
import type { Millis } from '../time.js';
import type { JobHold, TenantHold } from './holds.js';

/**
 * Why the governor chose `at: null` (never, until something changes):
 * - `unregistered`: no `EndpointRegistered` yet.
 * - `archived`: the endpoint is archived.
 * - `paused_indefinitely`: paused with `until: null`, until `Resumed`.
 * - `cron_exhausted`: the cron expression has no occurrence left (e.g. a past year) and no
 *   one-shot hint or max-interval clamp gives a time.
 * - `out_of_range`: the time computed lies beyond what the log can hold (year 9999). Accepted
 *   configurations never get here; a state written before the bounds existed can.
 * - `job_archived`: the endpoint's job is archived.
 * - `job_paused_indefinitely`: its job is paused until resumed.
 * - `tenant_disabled`: its tenant is disabled.
 * - `trigger_only`: no baseline (runs only when asked) and no hint or max interval gives a time.
 * - `upstream_failing`: an incoming edge's breaker is open (its upstream kept failing); held
 *   until the upstream succeeds.
 */
export type NeverReason =
  | 'unregistered'
  | 'archived'
  | 'paused_indefinitely'
  | 'cron_exhausted'
  | 'out_of_range'
  | 'job_archived'
  | 'job_paused_indefinitely'
  | 'tenant_disabled'
  | 'trigger_only'
  | 'upstream_failing';

/**
 * What determined a concrete `at`:
 * - `paused`: a pause with `until > now`; `at` is `until` (no clamp, no jitter).
 * - `job_paused`: the job's pause ends later than the endpoint's own (if any); `at` is its end.
 * - `first_run`: never run; the first slot of its start policy (see `firstSlot`).
 * - `baseline_interval` / `baseline_cron`: the baseline schedule, with failure backoff.
 * - `interval_hint`: a live interval hint replaced the baseline (and its backoff).
 * - `one_shot_hint`: a live one-shot hint was earlier than the baseline / interval hint.
 * - `max_interval`: a trigger-only endpoint (no baseline) is due because `maxIntervalMs` passed.
 * - `cascade`: a fan-in of its trigger edges fired; the run is due from then (the oldest cascade
 *   waiting, when it is earlier than the other candidates).
 *
 * The last five may still have been moved by the min/max clamp (see `inputs.clamp`).
 */
export type ScheduledReason =
  | 'paused'
  | 'job_paused'
  | 'first_run'
  | 'baseline_interval'
  | 'baseline_cron'
  | 'interval_hint'
  | 'one_shot_hint'
  | 'max_interval'
  | 'cascade';

export type DecisionReason = NeverReason | ScheduledReason;

/** Where the schedule is measured from. */
export type Anchor =
  | {
      readonly kind: 'lastRun';
      readonly runId: string;
      readonly scheduledFor: Millis;
      readonly dispatchedAt: Millis;
    }
  | { readonly kind: 'registeredAt'; readonly at: Millis };

/** Exponential failure backoff as applied to the baseline. */
export interface BackoffInput {
  readonly failures: number;
  readonly factor: number;
  readonly maxMs: number;
  /** The interval the backoff grows from (for cron: the gap between consecutive slots). */
  readonly baseMs: number;
  /** `max(baseMs, min(round(baseMs * factor ** failures), maxMs))`. */
  readonly delayMs: number;
  /** Cron only: the run waits for the first occurrence at or after this instant. */
  readonly notBefore: Millis | null;
}

export interface IntervalHintInput {
  readonly hintId: string;
  readonly source: HintSource;
  readonly sourceId: string;
  readonly intervalMs: number;
  readonly expiresAt: Millis;
}

export interface OneShotHintInput {
  readonly hintId: string;
  readonly source: HintSource;
  readonly sourceId: string;
  readonly runAt: Millis;
  readonly expiresAt: Millis;
  /** True when it was earlier than the baseline / interval-hint time and so chose `at`. */
  readonly won: boolean;
}

/** A hint in its slot that the governor did not use, and why. */
export interface IgnoredHint {
  readonly slot: 'interval' | 'oneShot';
  readonly hintId: string;
  readonly expiresAt: Millis;
  /** `expired`: `expiresAt <= now`. `satisfied`: one-shot with `runAt <= lastRun.dispatchedAt`. */
  readonly why: 'expired' | 'satisfied';
}

export interface JitterInput {
  /** The baseline slot the offset was hashed from (with the endpoint id). */
  readonly slot: Millis;
  readonly offsetMs: number;
  /** The configured bound: `0 <= offsetMs < jitterMs`. */
  readonly jitterMs: number;
}

export interface ClampInput {
  readonly bound: 'min' | 'max';
  /** The instant the candidate was moved to: `lastRun.dispatchedAt + min/maxIntervalMs`. */
  readonly limit: Millis;
  /** The configured interval bound in ms. */
  readonly intervalMs: number;
}

export interface InFlightInput {
  readonly runId: string;
  readonly leaseUntil: Millis;
  readonly attempt: number;
}

/** The cascades waiting to run and the breakers of the incoming edges. */
export interface CascadeDecisionInput {
  /** Cascades fired and not yet run. */
  readonly pending: number;
  /** The oldest of them, and whether it chose `at`. */
  readonly head: {
    readonly cascadeId: string;
    readonly triggeredAt: Millis;
    readonly won: boolean;
  } | null;
  /** Incoming edges whose breaker is open. */
  readonly failingEdges: readonly string[];
}

/** Everything the governor looked at, for `explain`. Fields it never reached are null. */
export interface DecisionInputs {
  readonly now: Millis;
  readonly status: EndpointState['status'];
  /** The pause on the state; `lapsed` when `until <= now` and so ignored. */
  readonly pause: {
    readonly until: Millis | null;
    readonly reason: string;
    readonly lapsed: boolean;
  } | null;
  /** The job's hold on the endpoint (its pause with reason and actor, whether archived). */
  readonly job: JobHold | null;
  /** The tenant's hold (disabled, by whom and why); null while enabled. */
  readonly tenant: TenantHold | null;
  readonly baseline: Baseline | null;
  readonly anchor: Anchor | null;
  /** Null without failures, or when an interval hint replaced the baseline. */
  readonly backoff: BackoffInput | null;
  /** The live interval hint used in place of the baseline. */
  readonly intervalHint: IntervalHintInput | null;
  /** The live one-shot hint that competed with the cadence. */
  readonly oneShotHint: OneShotHintInput | null;
  readonly ignoredHints: readonly IgnoredHint[];
  /** The baseline or interval-hint time, before jitter (null: cron exhausted). */
  readonly cadenceAt: Millis | null;
  /** The jitter added to the baseline time (null for an interval hint or `jitterMs: 0`). */
  readonly jitter: JitterInput | null;
  /** The time before the clamp. */
  readonly candidate: Millis | null;
  readonly clamp: ClampInput | null;
  /** Recorded only: a run in flight does not change `at` (the dispatcher holds the lease). */
  readonly inFlight: InFlightInput | null;
  /** Cascades and breakers (null for an endpoint without incoming edges or cascades). */
  readonly cascade: CascadeDecisionInput | null;
}

/**
 * The governor's answer: when the endpoint should next run, and why.
 *
 * `at` is the instant the run is due (it may be before `now`: the run is overdue and due at
 * once). `slot` is the schedule slot that run is for: `at` without jitter (and, when the min
 * clamp delayed it, without that delay). The dispatcher records `slot` as
 * `RunDispatched.scheduledFor`, so the next interval is anchored on the un-jittered grid and
 * jitter never accumulates into drift.
 */
export type ScheduleDecision =
  | {
      readonly at: null;
      readonly slot: null;
      readonly reason: NeverReason;
      readonly inputs: DecisionInputs;
    }
  | {
      readonly at: Millis;
      readonly slot: Millis;
      readonly reason: ScheduledReason;
      readonly inputs: DecisionInputs;
    };
