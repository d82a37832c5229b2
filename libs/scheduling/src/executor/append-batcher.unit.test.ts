import { ConcurrencyError, type AppendRequest } from '@orrery/domain';
import { InMemoryEventStore } from '@orrery/event-store';
import { describe, expect, it, vi } from 'vitest';
import { T0, pausedUntil } from '@orrery/domain/testing';
import { AppendBatcher } from './append-batcher.js';

/** A store whose appendEach round trips are counted (and can be made to fail). */
function countingStore() {
  const store = new InMemoryEventStore({ now: () => new Date(T0) });
  const appendEach = vi.spyOn(store, 'appendEach');
  const batchSizes = () => appendEach.mock.calls.map(([requests]) => requests.length);
  return { store, appendEach, batchSizes };
}

const request = (
  streamId: string,
  expectedVersion: number | 'any' = 0,
  idempotencyKey?: string,
): AppendRequest => ({
  streamId,
  expectedVersion,
  events: [pausedUntil(null)],
  ...(idempotencyKey === undefined ? {} : { idempotencyKey }),
});

describe('AppendBatcher', () => {
  it('sends appends made within the delay in one round trip', async () => {
    const { store, batchSizes } = countingStore();
    const batcher = new AppendBatcher(store, 20);

    const outcomes = await Promise.all(
      ['endpoint-a', 'endpoint-b', 'endpoint-c'].map((s) => batcher.append(request(s))),
    );

    expect(batchSizes()).toEqual([3]);
    expect(outcomes.map((o) => o.streamId)).toEqual(['endpoint-a', 'endpoint-b', 'endpoint-c']);
    expect(await store.headPosition()).toBe(3);
  });

  it('gives each caller its own outcome: a result, a conflict, or a duplicate', async () => {
    const { store, batchSizes } = countingStore();
    await store.appendEach([request('endpoint-old', 0, 'response:run-1')]);
    const batcher = new AppendBatcher(store, 20);

    // Keys are scoped to their stream: a repeat is a repeat on the same stream.
    const [fresh, stale, repeated, repeatedInBatch] = await Promise.all([
      batcher.append(request('endpoint-new', 0, 'response:run-2')),
      batcher.append(request('endpoint-old', 0)),
      batcher.append(request('endpoint-old', 'any', 'response:run-1')),
      batcher.append(request('endpoint-new', 'any', 'response:run-2')),
    ]);

    expect(batchSizes()).toEqual([1, 4]);
    expect(fresh).toMatchObject({ streamId: 'endpoint-new', streamVersion: 1, duplicate: false });
    expect(stale).toBeInstanceOf(ConcurrencyError);
    expect(stale).toMatchObject({ streamId: 'endpoint-old', expected: 0, actual: 1 });
    expect(repeated).toMatchObject({ duplicate: true });
    expect(repeatedInBatch).toMatchObject({ duplicate: true });
    expect(await store.readStream('endpoint-old')).toHaveLength(1);
    expect(await store.headPosition()).toBe(2);
  });

  it('rejects every caller of a batch whose round trip failed', async () => {
    const { store, appendEach } = countingStore();
    appendEach.mockRejectedValueOnce(new Error('connection terminated'));
    const batcher = new AppendBatcher(store, 20);

    const results = await Promise.allSettled([
      batcher.append(request('endpoint-a')),
      batcher.append(request('endpoint-b')),
    ]);

    expect(results.map((r) => r.status)).toEqual(['rejected', 'rejected']);
    expect(results[0]).toMatchObject({ reason: { message: 'connection terminated' } });
  });

  it('keeps one round trip in flight and sends what arrived meanwhile together (group commit)', async () => {
    const { store, batchSizes } = countingStore();
    const batcher = new AppendBatcher(store, 0, 2);

    const first = [batcher.append(request('endpoint-a')), batcher.append(request('endpoint-b'))];
    expect(batchSizes()).toEqual([2]); // full: sent at once
    const later = ['c', 'd', 'e'].map((s) => batcher.append(request(`endpoint-${s}`)));
    expect(batchSizes()).toEqual([2]); // one in flight: the rest waits for it

    const outcomes = await Promise.all([...first, ...later]);

    expect(batchSizes()).toEqual([2, 2, 1]);
    expect(outcomes.every((o) => !(o instanceof Error) && o.streamVersion === 1)).toBe(true);
  });

  it('appendAll gives the outcomes of several requests in order', async () => {
    const { store } = countingStore();
    const outcomes = await new AppendBatcher(store).appendAll([
      request('endpoint-x'),
      request('endpoint-x', 0),
    ]);
    expect(outcomes[0]).toMatchObject({ streamVersion: 1 });
    expect(outcomes[1]).toBeInstanceOf(ConcurrencyError);
  });

  it('drain() sends what is pending without waiting for the delay, and waits for it', async () => {
    const { store, appendEach } = countingStore();
    const batcher = new AppendBatcher(store, 60_000);
    const pending = batcher.append(request('endpoint-a'));
    expect(appendEach).not.toHaveBeenCalled();

    await batcher.drain();

    expect(appendEach).toHaveBeenCalledTimes(1);
    expect(await store.readStream('endpoint-a')).toHaveLength(1);
    await expect(pending).resolves.toMatchObject({ streamId: 'endpoint-a', streamVersion: 1 });
  });

  it('drain() with nothing pending sends nothing', async () => {
    const { store, appendEach } = countingStore();

    await new AppendBatcher(store).drain();

    expect(appendEach).not.toHaveBeenCalled();
  });

  it('sends appends that come after a batch has left in a batch of their own', async () => {
    const { store, batchSizes } = countingStore();
    const batcher = new AppendBatcher(store, 1);

    await batcher.append(request('endpoint-a'));
    const second = await batcher.append(request('endpoint-a', 1));

    expect(batchSizes()).toEqual([1, 1]);
    expect(second).toMatchObject({ streamVersion: 2 });
  });
});
