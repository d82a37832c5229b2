import {
  toIso,
  type EndpointState,
  type EventData,
  type HintSource,
  type RecordedEvent,
} from '@orrery/domain';

/** A hint in its slot when a proposal met it (times as ISO instants). */
export interface HintMet {
  readonly hintId: string;
  readonly source: HintSource;
  readonly sourceId: string;
  /** Interval hints: the interval in force. */
  readonly intervalMs?: number;
  /** One-shot hints: when the run is due. */
  readonly runAt?: string;
  /** A hint whose expiry is before the refusal's `recordedAt` had lapsed (it counted no more). */
  readonly expiresAt: string;
}

/**
 * The target endpoint's state a refused proposal met, folded from the log just before the
 * HintRejected: its pause, the hints in its slots, and its failure streak.
 */
export interface StateMet {
  /** The endpoint's stream version then. */
  readonly version: number;
  readonly status: EndpointState['status'];
  /** `until: null` pauses until resumed. */
  readonly pause: { readonly until: string | null; readonly reason: string } | null;
  readonly hints: { readonly interval: HintMet | null; readonly oneShot: HintMet | null };
  readonly consecutiveFailures: number;
}

/** A HintRejected with where it happened and what it met. */
export interface Conflict {
  readonly tenantId: string;
  readonly endpointId: string;
  readonly jobId: string;
  readonly position: number;
  readonly recordedAt: string;
  readonly data: EventData<'HintRejected'>;
  readonly stateMet: StateMet;
}

/** What a refused proposal met in `state` (the state before its HintRejected). */
export function stateMetOf(state: EndpointState): StateMet {
  const { interval, oneShot } = state.hints;
  return {
    version: state.version,
    status: state.status,
    pause: state.pause && {
      until: state.pause.until === null ? null : toIso(state.pause.until),
      reason: state.pause.reason,
    },
    hints: {
      interval: interval && {
        hintId: interval.hintId,
        source: interval.source,
        sourceId: interval.sourceId,
        intervalMs: interval.intervalMs,
        expiresAt: toIso(interval.expiresAt),
      },
      oneShot: oneShot && {
        hintId: oneShot.hintId,
        source: oneShot.source,
        sourceId: oneShot.sourceId,
        runAt: toIso(oneShot.runAt),
        expiresAt: toIso(oneShot.expiresAt),
      },
    },
    consecutiveFailures: state.consecutiveFailures,
  };
}

/** The conflict a HintRejected records, given the target's state just before it; else null. */
export function conflictOf(
  event: RecordedEvent,
  ref: { readonly tenantId: string; readonly id: string },
  before: EndpointState,
): Conflict | null {
  if (event.type !== 'HintRejected') return null;
  return {
    tenantId: ref.tenantId,
    endpointId: ref.id,
    jobId: before.jobId,
    position: event.position,
    recordedAt: event.recordedAt,
    data: event.data,
    stateMet: stateMetOf(before),
  };
}
