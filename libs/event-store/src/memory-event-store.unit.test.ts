import { describe, expect, it } from 'vitest';
import { eventStoreContract } from './event-store.contract.js';
import { paused, uniqueStream } from './contract-helpers.js';
import { InMemoryEventStore } from './memory-event-store.js';

eventStoreContract('InMemoryEventStore', async () => new InMemoryEventStore());

describe('InMemoryEventStore', () => {
  it('stamps recordedAt with the injected clock', async () => {
    const store = new InMemoryEventStore({ now: () => new Date('2025-01-02T03:04:05.000Z') });
    const stream = uniqueStream('endpoint');
    await store.append(stream, [paused()], { expectedVersion: 0 });
    expect((await store.readStream(stream))[0]?.recordedAt).toBe('2025-01-02T03:04:05.000Z');
  });

  it('moves a clock stamp that went back up to the event before it', async () => {
    const clock = [
      '2025-01-02T03:04:05.000Z',
      '2025-01-02T03:04:04.000Z',
      '2025-01-02T03:04:06.000Z',
    ];
    const store = new InMemoryEventStore({ now: () => new Date(clock.shift() as string) });
    const stream = uniqueStream('endpoint');
    for (let version = 0; version < 3; version++)
      await store.append(stream, [paused()], { expectedVersion: version });
    expect((await store.readStream(stream)).map((e) => e.recordedAt)).toEqual([
      '2025-01-02T03:04:05.000Z',
      '2025-01-02T03:04:05.000Z',
      '2025-01-02T03:04:06.000Z',
    ]);
  });

  it('refuses an invalid recordedAt without writing anything', async () => {
    const store = new InMemoryEventStore();
    const append = store.append(uniqueStream('s'), [paused()], {
      expectedVersion: 0,
      recordedAt: 'not a date',
    });
    await expect(append).rejects.toThrow(/recordedAt/);
    expect(await store.headPosition()).toBe(0);
  });
});
