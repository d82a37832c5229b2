import { ConcurrencyError, type AppendOutcome, type AppendRequest } from '@orrery/domain';
import { DURATION_BUCKETS_S, errorType, seconds, SIZE_BUCKETS } from '@orrery/telemetry';
import type { Attributes, Counter, Histogram, Meter } from '@opentelemetry/api';

/** The event store's instruments (see docs/observability.md). */
export const EVENT_STORE_METRICS = {
  /** One append call (appendMany / appendEach), call to commit, in s. */
  appendDuration: 'orrery.event_store.append.duration',
  /** Requests (streams) in one append call. */
  appendBatchSize: 'orrery.event_store.append.batch_size',
  /** Append requests by outcome: appended, duplicate, conflict, error. */
  appendRequests: 'orrery.event_store.append.requests',
  /** Waiting for the ordering lock (by Postgres's clock on the one-query path), in s. */
  lockWait: 'orrery.event_store.ordering_lock.wait.duration',
  /** The ordering lock held: granted → commit or rollback done, in s. */
  lockHold: 'orrery.event_store.ordering_lock.hold.duration',
  /** One read (readAll / readTypes / readStream), query and decoding, in s. */
  readDuration: 'orrery.event_store.read.duration',
} as const;

/** Attribute keys the event store's instruments and spans carry. */
export const EVENT_STORE_ATTRIBUTES = {
  /** `atomic` (appendMany) or `each` (appendEach). */
  mode: 'orrery.append.mode',
  /** The type of the first event of each request: one type, or `mixed`. */
  eventType: 'orrery.event.type',
  /** `appended`, `duplicate` (idempotency key seen), `conflict` (version moved), `error`. */
  outcome: 'orrery.append.outcome',
  /** `all` (by position), `types` (by position, some event types) or `stream`. */
  readKind: 'orrery.read.kind',
} as const;

export type AppendMode = 'atomic' | 'each';
const A = EVENT_STORE_ATTRIBUTES;

const typeOf = (request: AppendRequest): string => request.events[0]?.type ?? 'none';

/** The event type a batch is labelled with: its one type, or `mixed`. */
export function batchType(requests: readonly AppendRequest[]): string {
  const first = requests[0] ? typeOf(requests[0]) : 'none';
  return requests.every((r) => typeOf(r) === first) ? first : 'mixed';
}

const outcomeOf = (outcome: AppendOutcome | undefined): string =>
  outcome === undefined
    ? 'error'
    : outcome instanceof ConcurrencyError
      ? 'conflict'
      : outcome.duplicate
        ? 'duplicate'
        : 'appended';

/** Records the event store's figures through one meter. */
export class EventStoreMetrics {
  readonly #duration: Histogram;
  readonly #batchSize: Histogram;
  readonly #requests: Counter;
  readonly #lockWait: Histogram;
  readonly #lockHold: Histogram;
  readonly #read: Histogram;

  constructor(meter: Meter) {
    const durations = { advice: { explicitBucketBoundaries: [...DURATION_BUCKETS_S] }, unit: 's' };
    const M = EVENT_STORE_METRICS;
    this.#duration = meter.createHistogram(M.appendDuration, {
      description: 'Duration of one append call, from the call to its commit',
      ...durations,
    });
    this.#batchSize = meter.createHistogram(M.appendBatchSize, {
      description: 'Append requests (streams) in one append call',
      unit: '{request}',
      advice: { explicitBucketBoundaries: [...SIZE_BUCKETS] },
    });
    this.#requests = meter.createCounter(M.appendRequests, {
      description: 'Append requests, by outcome',
      unit: '{request}',
    });
    this.#lockWait = meter.createHistogram(M.lockWait, {
      description: "Time an append waited for the event log's ordering lock",
      ...durations,
    });
    this.#lockHold = meter.createHistogram(M.lockHold, {
      description: "Time an append held the event log's ordering lock, until its commit",
      ...durations,
    });
    this.#read = meter.createHistogram(M.readDuration, {
      description: 'Duration of one read of the log, query and decoding',
      ...durations,
    });
  }

  /** One append call ended; `outcomes` is undefined when it threw `error`. */
  appended(
    mode: AppendMode,
    requests: readonly AppendRequest[],
    ms: number,
    outcomes: readonly AppendOutcome[] | undefined,
    error?: unknown,
  ): void {
    const call: Attributes = { [A.mode]: mode, [A.eventType]: batchType(requests) };
    if (error !== undefined) call['error.type'] = errorType(error);
    this.#duration.record(seconds(ms), call);
    this.#batchSize.record(requests.length, call);
    // Counted per (type, outcome) once per call, not once per request: a batch of 200 requests
    // of one type and outcome is one add, one attribute set for the SDK to hash, not 200.
    const counts = new Map<string, { type: string; outcome: string; n: number }>();
    requests.forEach((request, i) => {
      // An atomic call that failed on a version appended none of its requests.
      const outcome = outcomeOf(
        outcomes?.[i] ?? (error instanceof ConcurrencyError ? error : undefined),
      );
      const type = typeOf(request);
      const key = `${type}\n${outcome}`;
      const seen = counts.get(key);
      if (seen) seen.n += 1;
      else counts.set(key, { type, outcome, n: 1 });
    });
    for (const { type, outcome, n } of counts.values()) {
      this.#requests.add(n, { [A.mode]: mode, [A.eventType]: type, [A.outcome]: outcome });
    }
  }

  /** The ordering lock was waited for `waitMs`, then held `holdMs`. */
  lock(waitMs: number, holdMs: number): void {
    this.#lockWait.record(seconds(waitMs));
    this.#lockHold.record(seconds(holdMs));
  }

  read(kind: 'all' | 'types' | 'stream', ms: number): void {
    this.#read.record(seconds(ms), { [A.readKind]: kind });
  }
}
