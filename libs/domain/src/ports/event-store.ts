import type { EventType } from '../events/catalogue.js';
import type { DomainEvent, RecordedEvent } from '../events/event.js';

/**
 * What an append expects of the stream: its exact current version (0 = the
 * stream has no events yet), or `'any'` to skip the check.
 */
export type ExpectedVersion = number | 'any';

export interface AppendRequest {
  readonly streamId: string;
  readonly expectedVersion: ExpectedVersion;
  readonly events: readonly DomainEvent[];
  /** Instant to record instead of the store's clock (ISO-8601); replays and tests pin it. */
  readonly recordedAt?: string;
  /**
   * Makes the append idempotent: a request whose key its stream already holds
   * appends nothing and reports `duplicate: true` (e.g. `response:<runId>`).
   * Keys are scoped to the stream (and so to the tenant).
   */
  readonly idempotencyKey?: string;
  /**
   * Other streams that must be at exactly these versions for the append to happen (they are
   * read, not written): a decision that took another stream's state as an input (an endpoint
   * dispatched under its job's state) is refused as a ConcurrencyError if that state moved.
   */
  readonly conditions?: readonly StreamCondition[];
}

/** A stream that must be at `version` (0: does not exist) for an append to happen. */
export interface StreamCondition {
  readonly streamId: string;
  readonly version: number;
}

export interface AppendResult {
  readonly streamId: string;
  /** The stream's version after the append: pass it as the next expectedVersion. */
  readonly streamVersion: number;
  /** Global positions of the appended events, in order. */
  readonly positions: readonly number[];
  /** True when the idempotency key was already in the log: nothing was appended. */
  readonly duplicate: boolean;
}

/** Per request of `appendEach`: its result, or the conflict that skipped it. */
export type AppendOutcome = AppendResult | ConcurrencyError;

/** The stream was not at the expected version: re-read, re-decide, retry. */
export class ConcurrencyError extends Error {
  override readonly name = 'ConcurrencyError';
  constructor(
    readonly streamId: string,
    readonly expected: ExpectedVersion,
    readonly actual: number,
  ) {
    super(`stream ${streamId} is at version ${actual}, expected ${String(expected)}`);
  }
}

export interface ReadAllOptions {
  /** Exclusive lower bound: events with a greater position are returned. */
  readonly after: number;
  readonly limit?: number;
}

export interface ReadTypesOptions extends ReadAllOptions {
  /** Only events of these types are returned. */
  readonly types: readonly EventType[];
}

/** A follower's read of some event types: the events, and how far into the log it reached. */
export interface TypesPage {
  /** The events of the types after `after`, in position order, at most `limit`. */
  readonly events: readonly RecordedEvent[];
  /**
   * The position the read covers: the last event's when `limit` came back, else the log's head
   * as the read saw it. No event of the types at or below it can appear later (see
   * {@link EventStore}), so a follower moves its checkpoint here, past the events of other types
   * it never read.
   */
  readonly through: number;
}

export interface SubscribeOptions {
  /** Checkpoint: delivery starts after this position. */
  readonly after: number;
  readonly batchSize?: number;
  /**
   * Called with consecutive batches in position order. The next batch is
   * delivered only after the returned promise settles, so a handler that
   * stores its checkpoint with its work never sees an event twice.
   */
  readonly onEvents: (events: readonly RecordedEvent[]) => Promise<void>;
  /** A failed handler or read stops the subscription and reports here. */
  readonly onError?: (error: unknown) => void;
}

export interface Subscription {
  /** Position of the last event handed to `onEvents` successfully. */
  readonly position: number;
  stop(): Promise<void>;
}

/**
 * The append-only event log. One global order (`position`); one version
 * sequence per stream. Readers never observe a gap that later fills: every
 * event visible at position p was committed before any event at a position
 * above p became visible.
 */
export interface EventStore {
  /** Appends to one stream, failing with ConcurrencyError on a version mismatch. */
  append(
    streamId: string,
    events: readonly DomainEvent[],
    options: { expectedVersion: ExpectedVersion; recordedAt?: string },
  ): Promise<AppendResult>;
  /** Appends to many streams atomically in one round trip; one mismatch fails them all. */
  appendMany(requests: readonly AppendRequest[]): Promise<readonly AppendResult[]>;
  /**
   * Appends many requests in one transaction, each on its own: a request whose
   * expected version mismatches is skipped and reported as a ConcurrencyError
   * in its place, the others are appended. For batching independent writers
   * (dispatch, recording) without one conflict failing the batch.
   */
  appendEach(requests: readonly AppendRequest[]): Promise<readonly AppendOutcome[]>;
  /** The stream's events in version order (empty if it does not exist). */
  readStream(
    streamId: string,
    options?: { fromVersion?: number },
  ): Promise<readonly RecordedEvent[]>;
  /** Events of all streams in position order. */
  readAll(options: ReadAllOptions): Promise<readonly RecordedEvent[]>;
  /**
   * Events of some types in position order, and the position the read covers: what a follower
   * that handles a few types reads, so events of the others are neither sent nor decoded.
   */
  readTypes(options: ReadTypesOptions): Promise<TypesPage>;
  /** Follows the log from a checkpoint, in position order, each event once. */
  subscribe(options: SubscribeOptions): Subscription;
  /** The highest position that readers can see. */
  headPosition(): Promise<number>;
  close(): Promise<void>;
}
