import type { EndpointConfig, HttpRequest } from './config.js';
import type { CascadeContext, HintSource } from '../events/catalogue.js';
import { emptyCascadeState, type CascadeState } from '../graph/inputs.js';
import { emptySteering, type SteeringState } from '../arbiter/steering.js';
import type { Millis } from '../time.js';

/** A live hint in its slot. Ignored by the governor once `expiresAt <= now`. */
export interface IntervalHint {
  readonly hintId: string;
  readonly source: HintSource;
  readonly sourceId: string;
  readonly intervalMs: number;
  readonly expiresAt: Millis;
  readonly reason: string;
}

export interface OneShotHint {
  readonly hintId: string;
  readonly source: HintSource;
  readonly sourceId: string;
  readonly runAt: Millis;
  readonly expiresAt: Millis;
  readonly reason: string;
}

export interface LastRun {
  readonly runId: string;
  /** The slot the run was dispatched for. */
  readonly scheduledFor: Millis;
  /**
   * When the run was released to the executor: its dispatch, or the `startAt` of a run
   * dispatched ahead of its time (the later of the two). Clamps and the grid are measured from
   * here, so a run dispatched ahead counts from when it starts, not from when it was decided.
   */
  readonly dispatchedAt: Millis;
  /** A cascade's run: its causation chain. */
  readonly cascade?: CascadeContext;
}

export interface InFlightRun extends LastRun {
  readonly leaseUntil: Millis;
  readonly attempt: number;
  /** A cascade's run: the request its templates rendered (a re-dispatch sends it again). */
  readonly request?: HttpRequest;
}

export interface EndpointState {
  readonly status: 'unregistered' | 'active' | 'archived';
  readonly endpointId: string;
  readonly tenantId: string;
  readonly jobId: string;
  /** Present once registered. */
  readonly config: EndpointConfig | null;
  readonly registeredAt: Millis;
  /** `until: null` means paused until resumed. */
  readonly pause: { readonly until: Millis | null; readonly reason: string } | null;
  readonly hints: { readonly interval: IntervalHint | null; readonly oneShot: OneShotHint | null };
  readonly lastRun: LastRun | null;
  /** A dispatched run without a recorded response. */
  readonly inFlight: InFlightRun | null;
  /** Failed responses since the last success; drives the baseline backoff. */
  readonly consecutiveFailures: number;
  /** The latest baseline slot skipped (a closed gate): the schedule moves on from it. */
  readonly lastSkip: { readonly scheduledFor: Millis } | null;
  /** Incoming edges, what they saw, and cascades waiting for their run. */
  readonly cascade: CascadeState;
  /** What the arbiter remembers of past decisions (staleness, anti-thrash, budget). */
  readonly steering: SteeringState;
  /** Stream version of the last folded event (0 before any). */
  readonly version: number;
}

export const initialState = (): EndpointState => ({
  status: 'unregistered',
  endpointId: '',
  tenantId: '',
  jobId: '',
  config: null,
  registeredAt: 0,
  pause: null,
  hints: { interval: null, oneShot: null },
  lastRun: null,
  inFlight: null,
  consecutiveFailures: 0,
  lastSkip: null,
  cascade: emptyCascadeState(),
  steering: emptySteering(),
  version: 0,
});
