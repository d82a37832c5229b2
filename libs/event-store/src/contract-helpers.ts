/** Test helpers shared by the event-store contract and integration suites (not exported). */
import { randomUUID } from 'node:crypto';
import { makeEvent, type EventStore, type RecordedEvent, type Subscription } from '@orrery/domain';

export const metadata = { tenantId: 't1', actor: { kind: 'user', id: 'u1' } } as const;

export const paused = (reason = 'maintenance') =>
  makeEvent('Paused', { until: null, reason }, metadata);
export const resumed = (reason = '') => makeEvent('Resumed', { reason }, metadata);

/** A stream id no other test uses (suites may share one database). */
export const uniqueStream = (label: string) => `${label}-${randomUUID().slice(0, 8)}`;

export interface Follower {
  readonly subscription: Subscription;
  readonly seen: RecordedEvent[];
  readonly batches: (readonly RecordedEvent[])[];
  readonly errors: unknown[];
}

/** Subscribes from `after`, recording every batch and error. */
export function follow(
  store: EventStore,
  after: number,
  options: {
    batchSize?: number;
    onEvents?: (events: readonly RecordedEvent[]) => Promise<void>;
  } = {},
): Follower {
  const seen: RecordedEvent[] = [];
  const batches: (readonly RecordedEvent[])[] = [];
  const errors: unknown[] = [];
  const subscription = store.subscribe({
    after,
    ...(options.batchSize === undefined ? {} : { batchSize: options.batchSize }),
    onEvents: async (events) => {
      await options.onEvents?.(events);
      batches.push(events);
      seen.push(...events);
    },
    onError: (error) => errors.push(error),
  });
  return { subscription, seen, batches, errors };
}

/** Positions strictly increase (so each event is seen once, in log order). */
export function isStrictlyIncreasing(positions: readonly number[]): boolean {
  return positions.every((p, i) => i === 0 || p > (positions[i - 1] ?? Infinity));
}

export interface Deferred<T> {
  readonly promise: Promise<T>;
  resolve(value: T): void;
}

export function deferred<T = void>(): Deferred<T> {
  let resolve!: (value: T) => void;
  const promise = new Promise<T>((r) => (resolve = r));
  return { promise, resolve };
}
