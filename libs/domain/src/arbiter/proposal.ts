import type { CascadeContext, HintSlot, HintSource } from '../events/catalogue.js';
import type { Millis } from '../time.js';

/** What a proposal asks of its target endpoint. */
export type ProposalAction =
  /** Replace the baseline interval for `ttlMs`. */
  | { readonly kind: 'interval'; readonly intervalMs: number; readonly ttlMs: number }
  /** Run once at `runAt` (now, when omitted or past) unless it lapses first. */
  | { readonly kind: 'oneShot'; readonly runAt?: Millis; readonly ttlMs: number }
  /** Hold the endpoint until `until`. */
  | { readonly kind: 'pause'; readonly until: Millis }
  /** End the hints in these slots (back to the baseline). */
  | { readonly kind: 'clear'; readonly slots: readonly HintSlot[] };

/**
 * A request to change one endpoint's schedule, from a user, a cascade or a planner. It changes
 * nothing by itself: the arbiter decides it against the target's state, and either outcome is
 * recorded (`HintProposed`, `Paused`, `HintsCleared` — or `HintRejected`).
 */
export interface Proposal {
  /** Unique per proposal: the outcome event names it. */
  readonly id: string;
  readonly source: HintSource;
  /** Who within the source: an API key, a planner session, an edge. */
  readonly sourceId: string;
  /**
   * Planner proposals: the endpoint whose analysis produced it. It may steer itself, or a
   * downstream of a declared edge from it (ownership).
   */
  readonly fromEndpointId?: string;
  readonly reason: string;
  /** The log position the proposer's view was read at (staleness). */
  readonly basedOnPosition?: number;
  /** A proposal made from a cascade's response continues its causation chain. */
  readonly cascade?: CascadeContext;
  readonly action: ProposalAction;
}
