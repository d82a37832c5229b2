/** What an operator sees of the event store through an injected meter and tracer. */
// Test-only edge: testkit imports this lib (embedded Postgres) for its global setup.
import { MemoryTelemetry, useTestDatabase } from '@orrery/testkit';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { paused, resumed, uniqueStream } from './contract-helpers.js';
import { EVENT_STORE_ATTRIBUTES as A, EVENT_STORE_METRICS as M } from './event-store-metrics.js';
import { migrateDatabase } from './migrator.js';
import { createPostgresEventStore } from './postgres-event-store.js';
import { closeAfterEach } from './postgres-test-helpers.js';

const db = useTestDatabase();
const closing = closeAfterEach();
const telemetry = new MemoryTelemetry();

beforeAll(async () => {
  await migrateDatabase(db().url);
});
afterAll(() => telemetry.shutdown());

describe('event store telemetry', () => {
  it('counts append requests by outcome and times the ordering lock', async () => {
    const store = closing(
      createPostgresEventStore({
        connectionString: db().url,
        instrumentation: telemetry.instrumentation,
      }),
    );
    await telemetry.window();
    const stream = uniqueStream('s');
    const other = uniqueStream('o');
    await store.appendEach([
      { streamId: stream, expectedVersion: 0, events: [paused()], idempotencyKey: 'k1' },
      { streamId: other, expectedVersion: 0, events: [paused()] },
    ]);
    const [duplicate, conflict] = await store.appendEach([
      { streamId: stream, expectedVersion: 1, events: [resumed()], idempotencyKey: 'k1' },
      { streamId: other, expectedVersion: 0, events: [resumed()] },
    ]);
    expect(duplicate).toMatchObject({ duplicate: true });
    expect(conflict).toBeInstanceOf(Error);

    const seen = await telemetry.window();
    const requests = (outcome: string) => seen.sum(M.appendRequests, { [A.outcome]: outcome });
    expect([requests('appended'), requests('duplicate'), requests('conflict')]).toEqual([2, 1, 1]);
    expect(seen.sum(M.appendRequests, { [A.eventType]: 'Resumed' })).toBe(2);
    expect(seen.histogram(M.appendDuration, { [A.mode]: 'each' }).count).toBe(2);
    expect(seen.histogram(M.appendBatchSize).p50).toBeCloseTo(2, 0);
    // Every time the lock was taken: the first append once; the second, whose requests expected
    // what the log no longer holds, once for the insert its guess planned (refused), once for the
    // plan made under the lock.
    const held = seen.histogram(M.lockHold);
    expect(held.count).toBe(3);
    expect(held.max).toBeLessThan(seen.histogram(M.appendDuration).max);
  });

  it('an append that expects what the log holds is inserted at once; a stale one is refused, then answered from the log', async () => {
    const store = closing(
      createPostgresEventStore({
        connectionString: db().url,
        instrumentation: telemetry.instrumentation,
      }),
    );
    const stream = uniqueStream('guess');
    await store.appendEach([{ streamId: stream, expectedVersion: 0, events: [paused()] }]);
    const eventsOf = (span: ReturnType<typeof telemetry.spans>[number] | undefined) =>
      span?.events.map((e) => e.name);

    await telemetry.window();
    const [right] = await store.appendEach([
      { streamId: stream, expectedVersion: 1, events: [resumed()] },
    ]);
    expect(right).toMatchObject({ streamVersion: 2 });
    expect(eventsOf(telemetry.spans().at(-1))).toEqual([]);
    expect((await telemetry.window()).histogram(M.lockHold).count).toBe(1);

    const [stale, fresh] = await store.appendEach([
      { streamId: stream, expectedVersion: 1, events: [paused()] },
      { streamId: uniqueStream('fresh'), expectedVersion: 0, events: [paused()] },
    ]);
    expect(stale).toMatchObject({ streamId: stream, expected: 1, actual: 2 });
    expect(fresh).toMatchObject({ streamVersion: 1 });
    // Refused as guessed; then, a request being stale, planned under the lock from the log.
    expect(eventsOf(telemetry.spans().at(-1))).toEqual([
      'optimistic insert refused',
      'replanned under the lock',
    ]);
    expect((await telemetry.window()).histogram(M.lockHold).count).toBe(2);
    expect((await store.readStream(stream)).map((e) => e.type)).toEqual(['Paused', 'Resumed']);
  });

  it('a failed atomic append is counted as a conflict for each of its requests, and its span ends', async () => {
    const store = closing(
      createPostgresEventStore({
        connectionString: db().url,
        instrumentation: telemetry.instrumentation,
      }),
    );
    await telemetry.window();
    const stream = uniqueStream('atomic');
    await expect(
      store.appendMany([
        { streamId: stream, expectedVersion: 0, events: [paused()] },
        { streamId: uniqueStream('b'), expectedVersion: 3, events: [paused()] },
      ]),
    ).rejects.toThrow();

    const seen = await telemetry.window();
    expect(seen.sum(M.appendRequests, { [A.outcome]: 'conflict', [A.mode]: 'atomic' })).toBe(2);
    expect(await store.readStream(stream)).toEqual([]);
    const span = telemetry.spans().at(-1);
    expect(span?.name).toBe('orrery.event_store.append');
    expect(span?.attributes).toMatchObject({ 'orrery.append.outcome': 'conflict' });
  });

  it('times reads of the log by kind', async () => {
    const store = closing(
      createPostgresEventStore({
        connectionString: db().url,
        instrumentation: telemetry.instrumentation,
      }),
    );
    await telemetry.window();
    await store.readAll({ after: 0 });
    await store.readTypes({ after: 0, types: ['Paused'] });
    await store.readStream(uniqueStream('r'));
    await store.readStream(uniqueStream('r'));
    const seen = await telemetry.window();
    expect(seen.histogram(M.readDuration, { [A.readKind]: 'all' }).count).toBe(1);
    expect(seen.histogram(M.readDuration, { [A.readKind]: 'types' }).count).toBe(1);
    expect(seen.histogram(M.readDuration, { [A.readKind]: 'stream' }).count).toBe(2);
  });
});
