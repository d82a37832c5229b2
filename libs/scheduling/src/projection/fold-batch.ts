import {
  evolve,
  fromIso,
  initialState,
  parseEndpointStream,
  runOutcome,
  type EndpointState,
  type EntityRef,
  type Millis,
  type RecordedEvent,
  type RunOutcome,
} from '@orrery/domain';
import { conflictOf, type Conflict } from './fold-conflicts.js';

/** An endpoint touched by a batch: its state after the batch, and when its last event happened. */
export interface FoldedEndpoint {
  readonly state: EndpointState;
  /** recorded_at of its last event in the batch: the projection's `now` for it (replayable). */
  readonly asOf: Millis;
  readonly position: number;
}

export interface DispatchedRun {
  readonly runId: string;
  /** The endpoint's stream (a key into `FoldedBatch.endpoints`). */
  readonly streamId: string;
  readonly endpointId: string;
  readonly scheduledFor: Millis;
  readonly dispatchedAt: Millis;
  readonly attempt: number;
  readonly reason: string;
  readonly position: number;
}

export interface RecordedRun {
  readonly runId: string;
  readonly streamId: string;
  readonly endpointId: string;
  readonly ok: boolean;
  readonly test: boolean;
  readonly startedAt: Millis;
  readonly finishedAt: Millis;
  readonly durationMs: number;
  readonly status: number | null;
  readonly error: string | null;
  readonly outcome: RunOutcome;
  readonly position: number;
}

export interface FoldedBatch {
  /** By stream id (endpoint ids are unique per tenant only). */
  readonly endpoints: ReadonlyMap<string, FoldedEndpoint>;
  readonly dispatched: readonly DispatchedRun[];
  readonly recorded: readonly RecordedRun[];
  /** The batch's HintRejected events, each with the state it met. */
  readonly conflicts: readonly Conflict[];
}

/**
 * Folds a batch of log events into the endpoints' states (starting from
 * `loaded`, the states the read model holds, by stream id) and collects run
 * changes and refused proposals. Pure: the projection's only inputs are the events.
 */
export function foldBatch(
  loaded: ReadonlyMap<string, EndpointState>,
  events: readonly RecordedEvent[],
): FoldedBatch {
  // A stream's id is parsed once, and its FoldedEndpoint made once, per batch: a replay folds
  // batches of thousands of events through here.
  const touched = new Map<string, Touched>();
  const dispatched: DispatchedRun[] = [];
  const recorded: RecordedRun[] = [];
  const conflicts: Conflict[] = [];
  for (const event of events) {
    const { streamId } = event;
    const seen = touched.get(streamId);
    const ref = seen?.ref ?? parseEndpointStream(streamId);
    if (ref === null) continue;
    const endpointId = ref.id;
    const before = seen?.state ?? loaded.get(streamId) ?? initialState();
    if (event.streamVersion <= before.version) continue; // already folded
    if (event.streamVersion !== before.version + 1) {
      throw new Error(
        `stream ${event.streamId}: version ${event.streamVersion} follows ${before.version} (a gap)`,
      );
    }
    const state = evolve(before, event);
    if (seen) {
      seen.state = state;
      seen.last = event;
    } else {
      touched.set(streamId, { ref, state, last: event });
    }
    const conflict = conflictOf(event, ref, before);
    if (conflict) conflicts.push(conflict);
    if (event.type === 'RunDispatched') {
      dispatched.push({
        runId: event.data.runId,
        streamId,
        endpointId,
        scheduledFor: fromIso(event.data.scheduledFor),
        dispatchedAt: fromIso(event.data.dispatchedAt),
        attempt: event.data.attempt,
        reason: event.data.reason,
        position: event.position,
      });
    } else if (event.type === 'ResponseRecorded') {
      recorded.push({
        runId: event.data.runId,
        streamId,
        endpointId,
        ok: event.data.ok,
        test: event.data.test,
        startedAt: fromIso(event.data.startedAt),
        finishedAt: fromIso(event.data.finishedAt),
        durationMs: event.data.durationMs,
        status: event.data.status,
        error: event.data.error ? `${event.data.error.kind}: ${event.data.error.message}` : null,
        outcome: runOutcome(event.data),
        position: event.position,
      });
    }
  }
  const endpoints = new Map<string, FoldedEndpoint>();
  for (const [streamId, { state, last }] of touched) {
    endpoints.set(streamId, { state, asOf: fromIso(last.recordedAt), position: last.position });
  }
  return { endpoints, dispatched, recorded, conflicts };
}

/** A stream while its batch is folded: its last state and the event that made it. */
interface Touched {
  readonly ref: EntityRef;
  state: EndpointState;
  last: RecordedEvent;
}
