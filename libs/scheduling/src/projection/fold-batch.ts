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

/** What endpoint events record besides their states: runs dispatched and answered, refusals. */
export interface EndpointRecords {
  readonly dispatched: DispatchedRun[];
  readonly recorded: RecordedRun[];
  readonly conflicts: Conflict[];
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
  const records: EndpointRecords = { dispatched: [], recorded: [], conflicts: [] };
  for (const event of events) {
    const { streamId } = event;
    const seen = touched.get(streamId);
    const ref = seen?.ref ?? parseEndpointStream(streamId);
    if (ref === null) continue;
    const state = foldEndpointEvent(
      seen?.state ?? loaded.get(streamId) ?? initialState(),
      event,
      ref,
      records,
    );
    if (state === null) continue;
    if (seen) {
      seen.state = state;
      seen.last = event;
    } else {
      touched.set(streamId, { ref, state, last: event });
    }
  }
  const endpoints = new Map<string, FoldedEndpoint>();
  for (const [streamId, { state, last }] of touched) {
    endpoints.set(streamId, foldedEndpoint(state, last));
  }
  return { endpoints, ...records };
}

/** An endpoint's state with the time and position of the last event folded into it. */
export const foldedEndpoint = (
  state: EndpointState,
  last: Pick<RecordedEvent, 'recordedAt' | 'position'>,
): FoldedEndpoint => ({
  state,
  asOf: fromIso(last.recordedAt),
  position: last.position,
});

/**
 * Folds one event of the endpoint stream `ref` into `before`, its state so far: the next state,
 * or null for an event folded already (a version not above the state's). The run the event
 * dispatches or answers, or the refusal it records, goes into `records` — and only once the
 * event folded: an event that throws (a gap in the stream's versions, an event `evolve` refuses)
 * adds nothing.
 */
export function foldEndpointEvent(
  before: EndpointState,
  event: RecordedEvent,
  ref: EntityRef,
  records: EndpointRecords,
): EndpointState | null {
  const { streamId } = event;
  if (event.streamVersion <= before.version) return null;
  if (event.streamVersion !== before.version + 1) {
    throw new Error(
      `stream ${streamId}: version ${event.streamVersion} follows ${before.version} (a gap)`,
    );
  }
  const state = evolve(before, event);
  const conflict = conflictOf(event, ref, before);
  const endpointId = ref.id;
  if (event.type === 'RunDispatched') {
    records.dispatched.push({
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
    records.recorded.push({
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
  if (conflict) records.conflicts.push(conflict);
  return state;
}

/** A stream while its batch is folded: its last state and the event that made it. */
interface Touched {
  readonly ref: EntityRef;
  state: EndpointState;
  last: RecordedEvent;
}
