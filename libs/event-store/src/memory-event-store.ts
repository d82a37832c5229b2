import {
  schemaVersionOf,
  type AppendOutcome,
  type AppendRequest,
  type AppendResult,
  type DomainEvent,
  type EventStore,
  type ExpectedVersion,
  type ReadAllOptions,
  type ReadTypesOptions,
  type RecordedEvent,
  type SubscribeOptions,
  type Subscription,
  type TypesPage,
} from '@orrery/domain';
import {
  outcomesOf,
  planAppend,
  recordingInstants,
  scopedKey,
  type PlanContext,
} from './append-plan.js';
import { decodeEvent, type StoredEvent } from './stored-event.js';
import { SubscriptionLoop } from './subscription-loop.js';

export interface InMemoryEventStoreOptions {
  /** Clock for `recordedAt` when an append does not pin it. Default: the system clock. */
  readonly now?: () => Date;
}

const DEFAULT_READ_LIMIT = 1000;

/**
 * An EventStore in memory with the Postgres adapter's semantics, for unit
 * tests of other libs: one global position order starting at 1, expected
 * versions, atomic `appendMany`, events stored as JSON and validated against
 * the catalogue when read, and subscriptions woken on append.
 *
 * @example
 * const store = new InMemoryEventStore({ now: () => clock.now() });
 */
export class InMemoryEventStore implements EventStore {
  readonly #events: StoredEvent[] = [];
  readonly #versions = new Map<string, number>();
  readonly #keys = new Set<string>();
  readonly #listeners = new Set<() => void>();
  readonly #subscriptions = new Set<Subscription>();
  #closing: Promise<void> | undefined;
  readonly #now: () => Date;

  constructor(options: InMemoryEventStoreOptions = {}) {
    this.#now = options.now ?? (() => new Date());
  }

  async append(
    streamId: string,
    events: readonly DomainEvent[],
    options: { expectedVersion: ExpectedVersion; recordedAt?: string },
  ): Promise<AppendResult> {
    const [result] = await this.appendMany([{ streamId, events, ...options }]);
    if (!result) throw new Error('appendMany returned no result for one request');
    return result;
  }

  async appendMany(requests: readonly AppendRequest[]): Promise<readonly AppendResult[]> {
    return this.#append(requests, 'atomic') as AppendResult[];
  }

  async appendEach(requests: readonly AppendRequest[]): Promise<readonly AppendOutcome[]> {
    return this.#append(requests, 'each');
  }

  #append(requests: readonly AppendRequest[], mode: PlanContext['mode']): AppendOutcome[] {
    const plan = planAppend(requests, { current: this.#versions, existingKeys: this.#keys, mode });
    const instants = recordingInstants(plan.events, this.#events.at(-1)?.recordedAt, this.#now);
    const rows = plan.events.map(({ streamId, streamVersion, event }, index) => ({
      position: this.#events.length + index + 1,
      streamId,
      streamVersion,
      type: event.type,
      typeVersion: schemaVersionOf(event.type),
      data: JSON.parse(JSON.stringify(event.data)) as unknown,
      metadata: JSON.parse(JSON.stringify(event.metadata)) as unknown,
      recordedAt: instants[index] as Date,
    }));
    // Nothing below can fail: the append is all or nothing.
    this.#events.push(...rows);
    const positions = rows.map((row) => row.position);
    for (const request of plan.requests) {
      if (request.kind === 'append') this.#versions.set(request.streamId, request.streamVersion);
    }
    for (const { streamId, idempotencyKey } of plan.events)
      if (idempotencyKey) this.#keys.add(scopedKey(streamId, idempotencyKey));
    if (positions.length > 0) for (const listener of this.#listeners) listener();
    return outcomesOf(plan, positions);
  }

  async readStream(
    streamId: string,
    options: { fromVersion?: number } = {},
  ): Promise<readonly RecordedEvent[]> {
    const from = options.fromVersion ?? 1;
    return this.#events
      .filter((e) => e.streamId === streamId && e.streamVersion >= from)
      .map(decodeEvent);
  }

  async readAll({
    after,
    limit = DEFAULT_READ_LIMIT,
  }: ReadAllOptions): Promise<readonly RecordedEvent[]> {
    // Positions are 1..n without gaps, so position p sits at index p - 1.
    const start = Math.max(0, Math.floor(after));
    return this.#events.slice(start, start + limit).map(decodeEvent);
  }

  async readTypes({
    after,
    limit = DEFAULT_READ_LIMIT,
    types,
  }: ReadTypesOptions): Promise<TypesPage> {
    const wanted = new Set<string>(types);
    const found: StoredEvent[] = [];
    for (let i = Math.max(0, Math.floor(after)); i < this.#events.length; i++) {
      const event = this.#events[i] as StoredEvent;
      if (!wanted.has(event.type)) continue;
      found.push(event);
      if (found.length >= limit) break;
    }
    const last = found.at(-1);
    return {
      events: found.map(decodeEvent),
      through: found.length >= limit && last ? last.position : Math.max(after, this.#events.length),
    };
  }

  subscribe(options: SubscribeOptions): Subscription {
    const subscription: Subscription = new SubscriptionLoop(options, {
      onEnded: () => this.#subscriptions.delete(subscription),
      readAll: (after, limit) => this.readAll({ after, limit }),
      wakeSource: {
        open: async (wake) => {
          this.#listeners.add(wake);
          return async () => void this.#listeners.delete(wake);
        },
      },
    });
    this.#subscriptions.add(subscription);
    return subscription;
  }

  async headPosition(): Promise<number> {
    return this.#events.length;
  }

  /** Stops open subscriptions; the events stay readable. */
  async close(): Promise<void> {
    this.#closing ??= this.#close();
    return this.#closing;
  }

  async #close(): Promise<void> {
    const open = [...this.#subscriptions];
    this.#subscriptions.clear();
    await Promise.allSettled(open.map((s) => s.stop()));
  }
}
