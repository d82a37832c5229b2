import {
  ConcurrencyError,
  type AppendRequest,
  type DomainEvent,
  type ExpectedVersion,
} from '@orrery/domain';

/** One event of an append, with the stream version it will get. */
export interface PlannedEvent {
  readonly streamId: string;
  readonly streamVersion: number;
  readonly event: DomainEvent;
  readonly recordedAt: string | undefined;
}

export interface AppendPlan {
  /** Every event to insert, in request order (positions are assigned in this order). */
  readonly events: readonly PlannedEvent[];
  /** Per request: the stream version after it and how many events it adds. */
  readonly requests: readonly { streamId: string; streamVersion: number; count: number }[];
}

/**
 * Checks each request's expected version against the streams' current
 * versions and numbers the new events. Requests are applied in order, so two
 * requests for one stream chain (the second expects the version after the
 * first). Throws ConcurrencyError on the first mismatch: nothing is planned.
 *
 * @param current the streams' versions before the append (absent: 0, no stream)
 */
export function planAppend(
  requests: readonly AppendRequest[],
  current: ReadonlyMap<string, number>,
): AppendPlan {
  const versions = new Map(current);
  const events: PlannedEvent[] = [];
  const planned: { streamId: string; streamVersion: number; count: number }[] = [];
  for (const request of requests) {
    assertValidExpectedVersion(request.expectedVersion);
    const actual = versions.get(request.streamId) ?? 0;
    if (request.expectedVersion !== 'any' && request.expectedVersion !== actual) {
      throw new ConcurrencyError(request.streamId, request.expectedVersion, actual);
    }
    request.events.forEach((event, index) =>
      events.push({
        streamId: request.streamId,
        streamVersion: actual + index + 1,
        event,
        recordedAt: request.recordedAt,
      }),
    );
    const streamVersion = actual + request.events.length;
    versions.set(request.streamId, streamVersion);
    planned.push({ streamId: request.streamId, streamVersion, count: request.events.length });
  }
  return { events, requests: planned };
}

/** Splits the positions of a plan's events into per-request append results. */
export function resultsOf(plan: AppendPlan, positions: readonly number[]) {
  let offset = 0;
  return plan.requests.map(({ streamId, streamVersion, count }) => {
    const slice = positions.slice(offset, offset + count);
    offset += count;
    return { streamId, streamVersion, positions: slice };
  });
}

function assertValidExpectedVersion(expected: ExpectedVersion): void {
  if (expected !== 'any' && !(Number.isSafeInteger(expected) && expected >= 0)) {
    throw new TypeError(`expectedVersion must be 'any' or an integer >= 0, got ${expected}`);
  }
}
