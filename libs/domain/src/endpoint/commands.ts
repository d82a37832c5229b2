import type { EndpointConfigInput } from './config.js';
import type { CascadeContext, EventDataInput, HintSource, HintSlot } from '../events/catalogue.js';
import type { Millis } from '../time.js';
import type { Holds } from '../governor/holds.js';
import type { ArbiterPolicy } from '../arbiter/policy.js';
import type { Proposal } from '../arbiter/proposal.js';

/** A hint as requested, before the decider turns TTLs into instants and clamps it. */
export type HintRequest =
  | { readonly slot: 'interval'; readonly intervalMs: number; readonly ttlMs: number }
  /** `runAt` in the past (or omitted) means "as soon as allowed". */
  | { readonly slot: 'oneShot'; readonly runAt?: Millis; readonly ttlMs: number };

/** What can be asked of one endpoint. Ids are inputs, like time: the caller makes them. */
export type EndpointCommand =
  | {
      readonly type: 'Register';
      readonly endpointId: string;
      readonly jobId: string;
      readonly tenantId: string;
      readonly config: EndpointConfigInput;
    }
  | { readonly type: 'Reconfigure'; readonly config: EndpointConfigInput }
  | { readonly type: 'Archive'; readonly reason?: string }
  | { readonly type: 'Pause'; readonly until: Millis | null; readonly reason?: string }
  | { readonly type: 'Resume'; readonly reason?: string }
  /**
   * Dispatch whatever is due at `now`: the governor's next slot, or a run whose lease lapsed
   * (again, same run id). Nothing when nothing is due. The lease is the endpoint's timeout plus
   * `leaseMarginMs`; after it the run counts as lost and is dispatched again. `holds` are the
   * job's state as the caller read it (append the events under a condition on its version).
   *
   * `aheadMs` (default 0) dispatches a new slot of the endpoint's own schedule that is due
   * within `now + aheadMs`, with `startAt` = its due time: the executor starts the call then.
   * Never a lapsed run (its lease must lapse first), a cascade's run, or an endpoint held now.
   */
  | {
      readonly type: 'Dispatch';
      readonly leaseMarginMs: number;
      readonly holds?: Holds;
      readonly aheadMs?: number;
    }
  | {
      readonly type: 'RecordDispatch';
      readonly runId: string;
      readonly scheduledFor: Millis;
      readonly leaseMs: number;
      readonly reason: string;
      readonly hintId?: string;
      /** Dispatched ahead: the call starts at this time (> now); the lease counts from it. */
      readonly startAt?: Millis;
    }
  | {
      readonly type: 'RecordResponse';
      readonly response: EventDataInput<'ResponseRecorded'>;
    }
  | {
      readonly type: 'ProposeHint';
      readonly hintId: string;
      readonly hint: HintRequest;
      readonly source: HintSource;
      readonly sourceId: string;
      readonly reason: string;
      readonly basedOnPosition?: number;
      /** Planner hints: the endpoint analysed (ownership). */
      readonly fromEndpointId?: string;
    }
  /**
   * Any proposal (interval, one-shot, pause, clear) from any source, decided by the arbiter
   * under `policy` (default: the default policy); `jobExtraRuns` is the planner-induced extra
   * runs the target's job already has in the budget window. Always one outcome event — except
   * a user's malformed proposal, which is a validation error (nothing recorded).
   */
  | {
      readonly type: 'Propose';
      readonly proposal: Proposal;
      readonly policy?: ArbiterPolicy;
      readonly jobExtraRuns?: number;
      /** The job's state as the proposer read it (append under a condition on its version). */
      readonly holds?: Holds;
    }
  /** Records that the hint in `slot` lapsed (only that hint, when `hintId` is given). */
  | { readonly type: 'ExpireHint'; readonly slot: HintSlot; readonly hintId?: string }
  | { readonly type: 'ClearHints'; readonly slots?: readonly HintSlot[]; readonly reason?: string }
  /**
   * An upstream response for one of the endpoint's incoming edges (sent by the cascade
   * processor): judged by the edge's condition, it may open or close a gate, trip or reset the
   * breaker, and fire the fan-in. Observing the same response twice has no second effect.
   * With `dispatch`, a cascade that fires is also dispatched in the same decision when it is
   * due at once (as `Dispatch` would, under the job's `holds`): one append for the whole hop.
   */
  | {
      readonly type: 'ObserveUpstream';
      readonly edgeId: string;
      readonly response: UpstreamResponse;
      readonly dispatch?: { readonly leaseMarginMs: number; readonly holds: Holds };
    };

/** An upstream response as the cascade processor hands it to a downstream. */
export interface UpstreamResponse {
  readonly endpointId: string;
  readonly runId: string;
  /** Log position of its ResponseRecorded. */
  readonly position: number;
  readonly respondedAt: Millis;
  readonly status: number | null;
  readonly ok: boolean;
  readonly headers: Readonly<Record<string, string>>;
  readonly body: unknown;
  readonly durationMs: number;
  /** The upstream run's causation chain (a run of its own schedule: root = itself, depth 0). */
  readonly cascade: CascadeContext;
  /** The upstream run's trace: a cascade continues it. */
  readonly traceparent?: string;
}
