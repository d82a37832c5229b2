import { ConcurrencyError, type EventStore } from '@orrery/domain';
import { expect, it } from 'vitest';
import { paused, resumed, uniqueStream } from './contract-helpers.js';

/** Idempotency keys and per-request batches (`appendEach`). */
export function idempotencyContract(store: () => EventStore): void {
  it('appends a keyed request once; the retry reports a duplicate and writes nothing', async () => {
    const stream = uniqueStream('endpoint');
    const key = `response:${stream}`;
    const first = await store().appendMany([
      { streamId: stream, expectedVersion: 'any', events: [paused()], idempotencyKey: key },
    ]);
    const retry = await store().appendMany([
      { streamId: stream, expectedVersion: 'any', events: [paused()], idempotencyKey: key },
    ]);
    expect(first[0]).toMatchObject({ duplicate: false, streamVersion: 1 });
    expect(retry[0]).toEqual({
      streamId: stream,
      streamVersion: 1,
      positions: [],
      duplicate: true,
    });
    expect(await store().readStream(stream)).toHaveLength(1);
  });

  it('scopes keys to their stream: the same key on two streams appends to both', async () => {
    const [a, b] = [uniqueStream('tenant-a-endpoint'), uniqueStream('tenant-b-endpoint')];
    const key = 'response:run-x-1';
    const outcomes = await store().appendEach([
      { streamId: a, expectedVersion: 'any', events: [paused()], idempotencyKey: key },
      { streamId: b, expectedVersion: 'any', events: [paused()], idempotencyKey: key },
    ]);
    expect(outcomes).toMatchObject([{ duplicate: false }, { duplicate: false }]);
    const again = await store().appendMany([
      { streamId: b, expectedVersion: 'any', events: [paused()], idempotencyKey: key },
    ]);
    expect(again[0]).toMatchObject({ duplicate: true });
    expect(await store().readStream(a)).toHaveLength(1);
    expect(await store().readStream(b)).toHaveLength(1);
  });

  it('refuses a request whose condition on another stream no longer holds', async () => {
    const [target, input] = [uniqueStream('target'), uniqueStream('input')];
    await store().append(input, [paused()], { expectedVersion: 0 });
    const outcomes = await store().appendEach([
      {
        streamId: target,
        expectedVersion: 0,
        events: [paused()],
        conditions: [{ streamId: input, version: 0 }],
      },
      {
        streamId: target,
        expectedVersion: 0,
        events: [resumed()],
        conditions: [{ streamId: input, version: 1 }],
      },
    ]);
    expect(outcomes[0]).toBeInstanceOf(ConcurrencyError);
    expect(outcomes[0]).toMatchObject({ streamId: input, expected: 0, actual: 1 });
    expect(outcomes[1]).toMatchObject({ streamVersion: 1, duplicate: false });
    expect((await store().readStream(target)).map((e) => e.type)).toEqual(['Resumed']);
  });

  it('treats a key repeated within one batch as a duplicate of the first', async () => {
    const stream = uniqueStream('endpoint');
    const key = `k-${stream}`;
    const results = await store().appendEach([
      { streamId: stream, expectedVersion: 0, events: [paused()], idempotencyKey: key },
      { streamId: stream, expectedVersion: 1, events: [resumed()], idempotencyKey: key },
    ]);
    expect(results.map((r) => (r instanceof ConcurrencyError ? 'conflict' : r.duplicate))).toEqual([
      false,
      true,
    ]);
    expect(await store().readStream(stream)).toHaveLength(1);
  });

  it('appendEach skips only the request whose version is stale', async () => {
    const [a, b, c] = [uniqueStream('a'), uniqueStream('b'), uniqueStream('c')];
    await store().append(b, [paused()], { expectedVersion: 0 });

    const outcomes = await store().appendEach([
      { streamId: a, expectedVersion: 0, events: [paused()] },
      { streamId: b, expectedVersion: 0, events: [resumed()] },
      { streamId: c, expectedVersion: 0, events: [paused(), resumed()] },
    ]);

    expect(outcomes[0]).toMatchObject({ streamId: a, streamVersion: 1, duplicate: false });
    expect(outcomes[1]).toBeInstanceOf(ConcurrencyError);
    expect(outcomes[1]).toMatchObject({ streamId: b, expected: 0, actual: 1 });
    expect(outcomes[2]).toMatchObject({ streamId: c, streamVersion: 2 });
    expect(await store().readStream(b)).toHaveLength(1);
    expect((await store().readStream(c)).map((e) => e.type)).toEqual(['Paused', 'Resumed']);
  });
}
