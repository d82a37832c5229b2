import type { CascadeContext } from '../events/catalogue.js';
import type { HttpRequest } from '../endpoint/config.js';
import type { Millis } from '../time.js';
import type { EdgeDefinition } from './edge.js';

/** An upstream response as one edge judged it (an UpstreamObserved, folded). */
export interface ObservedResponse {
  readonly endpointId: string;
  readonly runId: string;
  /** Log position of the upstream's ResponseRecorded. */
  readonly position: number;
  readonly respondedAt: Millis;
  readonly status: number | null;
  readonly ok: boolean;
  readonly satisfied: boolean;
  readonly correlation: string | null;
  readonly error?: string;
  /** Kept for satisfying responses of trigger edges: templates read them. */
  readonly body?: unknown;
  readonly headers?: Readonly<Record<string, string>>;
  readonly cascade: CascadeContext;
  /** The upstream run's trace context (its UpstreamObserved's): a fan-in links to it. */
  readonly traceparent?: string;
}

/** What a downstream knows of one of its incoming edges. */
export interface EdgeInputs {
  readonly edge: EdgeDefinition;
  /** The upstream's latest response (gates judge it). */
  readonly latest: ObservedResponse | null;
  /** The latest response that satisfied the condition. */
  readonly lastSatisfied: ObservedResponse | null;
  /** Consecutive failed upstream runs (the breaker's count). */
  readonly failures: number;
  /** The breaker is open: the downstream is held until the upstream succeeds. */
  readonly failing: boolean;
  /** Trigger edges: satisfying responses not yet used by a fan-in, oldest first. */
  readonly waiting: readonly ObservedResponse[];
}

/** A fired fan-in waiting for its run (due at once, subject to pause, holds and gates). */
export interface PendingCascade {
  /** Also the run id of the run it causes. */
  readonly cascadeId: string;
  readonly triggeredAt: Millis;
  readonly correlation: string | null;
  /** The run's causation chain (its root, depth, and chain ending in this endpoint). */
  readonly cascade: CascadeContext;
  readonly inputs: readonly { readonly edgeId: string; readonly runId: string }[];
  /** The rendered request; absent when a template failed (`templateError`). */
  readonly request?: HttpRequest;
  readonly templateError?: { readonly field: string; readonly message: string };
  readonly traceparent?: string;
}

/** The cascade part of an endpoint's state. */
export interface CascadeState {
  /** Incoming edges by id. */
  readonly edges: Readonly<Record<string, EdgeInputs>>;
  readonly pending: readonly PendingCascade[];
  /** Correlation values a fan-in has fired for, newest last (each fires once). */
  readonly fired: readonly string[];
  /**
   * When the endpoint's last run not caused by a cascade started (its own schedule, a hint, a
   * manual run): it read fresh data, so for `since_last_run` trigger edges the responses before
   * it are spent. Cascade runs spend only the responses they used.
   */
  readonly ownRunAt: Millis | null;
}

export const emptyCascadeState = (): CascadeState => ({
  edges: {},
  pending: [],
  fired: [],
  ownRunAt: null,
});

/** Most waiting responses kept per trigger edge; the oldest is dropped beyond it. */
export const MAX_WAITING_PER_EDGE = 64;
/** Most fired correlation values remembered (once per value within this window). */
export const MAX_FIRED_REMEMBERED = 1000;
/** Most cascades waiting for their run; beyond it a new one is refused (`backlog`). */
export const MAX_PENDING_CASCADES = 100;
/** Longest causation chain: a cascade deeper than this is refused (`depth_limit`). */
export const MAX_CASCADE_DEPTH = 16;
