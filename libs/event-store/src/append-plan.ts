import {
  ConcurrencyError,
  type AppendOutcome,
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
  /** Set on the first event of a request that carries an idempotency key. */
  readonly idempotencyKey: string | null;
}

type PlannedRequest =
  | { kind: 'append'; streamId: string; streamVersion: number; count: number }
  | { kind: 'duplicate'; streamId: string; streamVersion: number }
  | { kind: 'conflict'; error: ConcurrencyError };

export interface AppendPlan {
  /** Every event to insert, in request order (positions are assigned in this order). */
  readonly events: readonly PlannedEvent[];
  /** Per request, what becomes of it. */
  readonly requests: readonly PlannedRequest[];
}

export interface PlanContext {
  /** The streams' versions before the append (absent: 0, no stream). */
  readonly current: ReadonlyMap<string, number>;
  /** Idempotency keys the log already holds, as {@link scopedKey}s. */
  readonly existingKeys?: ReadonlySet<string>;
  /** `atomic`: the first mismatch throws, nothing is planned. `each`: it skips that request. */
  readonly mode: 'atomic' | 'each';
}

/**
 * Checks each request's expected version against the streams' current
 * versions and numbers the new events. Requests are applied in order, so two
 * requests for one stream chain (the second expects the version after the
 * first). A request whose idempotency key is known (in the log, or earlier in
 * the batch) is a duplicate and plans nothing.
 */
export function planAppend(requests: readonly AppendRequest[], ctx: PlanContext): AppendPlan {
  const versions = new Map(ctx.current);
  const keys = new Set(ctx.existingKeys);
  const events: PlannedEvent[] = [];
  const planned: PlannedRequest[] = [];
  for (const request of requests) {
    assertValidExpectedVersion(request.expectedVersion);
    const actual = versions.get(request.streamId) ?? 0;
    const key = request.idempotencyKey ?? null;
    if (key !== null && keys.has(scopedKey(request.streamId, key))) {
      planned.push({ kind: 'duplicate', streamId: request.streamId, streamVersion: actual });
      continue;
    }
    const moved = (request.conditions ?? []).find(
      (c) => (versions.get(c.streamId) ?? 0) !== c.version,
    );
    const error =
      request.expectedVersion !== 'any' && request.expectedVersion !== actual
        ? new ConcurrencyError(request.streamId, request.expectedVersion, actual)
        : moved
          ? new ConcurrencyError(moved.streamId, moved.version, versions.get(moved.streamId) ?? 0)
          : null;
    if (error) {
      if (ctx.mode === 'atomic') throw error;
      planned.push({ kind: 'conflict', error });
      continue;
    }
    if (key !== null) keys.add(scopedKey(request.streamId, key));
    request.events.forEach((event, index) =>
      events.push({
        streamId: request.streamId,
        streamVersion: actual + index + 1,
        event,
        recordedAt: request.recordedAt,
        idempotencyKey: index === 0 ? key : null,
      }),
    );
    const streamVersion = actual + request.events.length;
    versions.set(request.streamId, streamVersion);
    planned.push({
      kind: 'append',
      streamId: request.streamId,
      streamVersion,
      count: request.events.length,
    });
  }
  return { events, requests: planned };
}

/** Splits the positions of a plan's events into per-request outcomes. */
export function outcomesOf(plan: AppendPlan, positions: readonly number[]): AppendOutcome[] {
  let offset = 0;
  return plan.requests.map((request) => {
    if (request.kind === 'conflict') return request.error;
    if (request.kind === 'duplicate') {
      return {
        streamId: request.streamId,
        streamVersion: request.streamVersion,
        positions: [],
        duplicate: true,
      };
    }
    const slice = positions.slice(offset, offset + request.count);
    offset += request.count;
    return {
      streamId: request.streamId,
      streamVersion: request.streamVersion,
      positions: slice,
      duplicate: false,
    };
  });
}

/** An idempotency key with its stream: keys are unique per stream, not across the log. */
export const scopedKey = (streamId: string, key: string): string => `${streamId}\n${key}`;

/** The (stream, key) pairs a batch carries (to look up in the log before planning). */
export const keysOf = (
  requests: readonly AppendRequest[],
): { readonly streamId: string; readonly key: string }[] =>
  requests.flatMap((r) =>
    r.idempotencyKey === undefined ? [] : [{ streamId: r.streamId, key: r.idempotencyKey }],
  );

/** Every stream a batch reads: those it appends to and those its conditions name. */
export const streamsOf = (requests: readonly AppendRequest[]): string[] => [
  ...new Set(requests.flatMap((r) => [r.streamId, ...(r.conditions ?? []).map((c) => c.streamId)])),
];

function assertValidExpectedVersion(expected: ExpectedVersion): void {
  if (expected !== 'any' && !(Number.isSafeInteger(expected) && expected >= 0)) {
    throw new TypeError(`expectedVersion must be 'any' or an integer >= 0, got ${expected}`);
  }
}

/**
 * The instants an append's events are recorded at. The log's time never goes back
 * (docs/event-log.md, "Time follows position"): an event is recorded no earlier than the one
 * before it. The clock is read once per append; a clock-stamped event below the event before it
 * is moved up to that event's instant (the system clock may step back). A pinned `recordedAt`
 * (imports, tests) is the caller's word, so one earlier than the event before it (the log's last,
 * or one earlier in the append) is refused rather than changed. `last`: the log's last instant,
 * undefined for an empty log. The Postgres store does the same in its insert statement.
 */
export function recordingInstants(
  events: readonly PlannedEvent[],
  last: Date | undefined,
  now: () => Date,
): Date[] {
  const clock = events.some((e) => e.recordedAt === undefined) ? now() : undefined;
  let floor = last;
  return events.map(({ recordedAt, streamId }) => {
    let at = recordedAt === undefined ? (clock as Date) : new Date(recordedAt);
    if (Number.isNaN(at.getTime()))
      throw new TypeError(`recordedAt is not an instant: ${recordedAt}`);
    if (floor !== undefined && at < floor) {
      if (recordedAt !== undefined) throw TimeOrderError.of(recordedAt, streamId, floor);
      at = floor;
    }
    floor = at;
    return at;
  });
}

/**
 * A pinned `recordedAt` earlier than the event before it: nothing of the append was written.
 * Both stores throw it (the Postgres store turns its insert's refusal into it).
 */
export class TimeOrderError extends RangeError {
  constructor(message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = 'TimeOrderError';
  }

  static of(recordedAt: string, streamId: string, floor: Date): TimeOrderError {
    return new TimeOrderError(
      `recordedAt ${recordedAt} (stream ${streamId}) is earlier than ${floor.toISOString()}, ` +
        `the instant of the event before it: the log's time never goes back`,
    );
  }
}

/** Whether a database error is the insert's refusal of a pinned instant (migration 0007). */
export const isTimeOrderRefusal = (error: unknown): error is Error =>
  error instanceof Error &&
  (error as { code?: unknown }).code === '22000' &&
  error.message.endsWith("the log's time never goes back");

/**
 * The log as the requests expect it, read from them alone: each stream at the version its first
 * request expects (or a condition names), and none of their idempotency keys in the log. Null
 * when a request takes any version ('any'): only a read can say which. A wrong assumption costs
 * one refused insert (nothing written), after which the store reads the log; a right one saves
 * that read — the usual case: commands decide on the stream they just read, and the dispatcher
 * appends at the version of the row it claimed. (The executor's responses take any version.)
 */
export function expectedState(
  requests: readonly AppendRequest[],
): { current: Map<string, number>; existingKeys: Set<string> } | null {
  const current = new Map<string, number>();
  for (const request of requests) {
    if (request.expectedVersion === 'any') return null;
    if (!current.has(request.streamId)) current.set(request.streamId, request.expectedVersion);
    for (const condition of request.conditions ?? []) {
      if (!current.has(condition.streamId)) current.set(condition.streamId, condition.version);
    }
  }
  return { current, existingKeys: new Set() };
}

/**
 * A plan from what the log is assumed (or was read) to hold before the lock, or null when it
 * refuses a request (the assumption may be stale) or inserts nothing: then the next plan decides.
 */
export function planOptimistically(
  requests: readonly AppendRequest[],
  early: { current: Map<string, number>; existingKeys: Set<string> },
  mode: PlanContext['mode'],
): AppendPlan | null {
  try {
    const plan = planAppend(requests, { ...early, mode });
    return plan.events.length > 0 && plan.requests.every((r) => r.kind === 'append') ? plan : null;
  } catch (error) {
    if (error instanceof ConcurrencyError) return null;
    throw error;
  }
}
