/**
 * Ordered reading under concurrent writers: a follower reading
 * `position > checkpoint` must never skip an event that commits late with a
 * lower position. Writer A is held inside its transaction (after its insert,
 * before commit) while B and C append; see postgres-event-store.ts for the lock.
 */
import type { RecordedEvent } from '@orrery/domain';
// Test-only edge: testkit imports this lib (embedded Postgres) for its global setup.
import { useTestDatabase, waitFor } from '@orrery/testkit';
import { setTimeout as sleep } from 'node:timers/promises';
import { beforeAll, describe, expect, it } from 'vitest';
import {
  deferred,
  follow,
  isStrictlyIncreasing,
  paused,
  resumed,
  uniqueStream,
} from './contract-helpers.js';
import { migrateDatabase } from './migrator.js';
import {
  createPostgresEventStore,
  type PostgresEventStoreOptions,
} from './postgres-event-store.js';
import { closeAfterEach, blockedSessions } from './postgres-test-helpers.js';

const db = useTestDatabase();
const closing = closeAfterEach();

beforeAll(async () => {
  await migrateDatabase(db().url);
});

/** Starts A's append and resolves once A holds its positions, uncommitted. */
async function startHeldWriter(hooks: { skipOrderingLock?: boolean } = {}) {
  const holding = deferred<readonly number[]>();
  const release = deferred();
  closing({ close: async () => release.resolve() }); // never leave A holding the lock
  const storeA = closing(
    createPostgresEventStore({
      connectionString: db().url,
      testHooks: {
        ...hooks,
        beforeCommit: async (positions) => {
          holding.resolve(positions);
          await release.promise;
        },
      },
    }),
  );
  const append = storeA.append(uniqueStream('a'), [paused('A')], { expectedVersion: 0 });
  const positions = await holding.promise;
  return { storeA, append, positions, release: () => release.resolve() };
}

const positionsOf = (events: readonly RecordedEvent[]) => events.map((e) => e.position);

describe('ordered reading', () => {
  it('delivers a late-committing lower position before the later ones, each once', async () => {
    const store = closing(createPostgresEventStore({ connectionString: db().url }));
    const head = await store.headPosition();
    const follower = follow(store, head, { batchSize: 1 });
    const a = await startHeldWriter();

    const b = store.append(uniqueStream('b'), [paused('B')], { expectedVersion: 0 });
    const c = store.append(uniqueStream('c'), [resumed('C')], { expectedVersion: 0 });
    await waitFor('B and C to queue behind A', async () =>
      (await blockedSessions(db().url, 'advisory')) >= 2 ? true : undefined,
    );
    expect(await store.readAll({ after: head })).toEqual([]);

    a.release();
    const results = await Promise.all([a.append, b, c]);
    await waitFor('all three events', () => (follower.seen.length >= 3 ? true : undefined));
    await follower.subscription.stop();

    const written = results.flatMap((r) => r.positions);
    expect(Math.min(...written)).toBe(a.positions[0]);
    expect(positionsOf(follower.seen)).toEqual([...written].sort((x, y) => x - y));
    expect(follower.errors).toEqual([]);
  });

  it('without the ordering lock, a follower skips the late commit (the hazard the lock prevents)', async () => {
    const unlocked: Partial<PostgresEventStoreOptions> = { testHooks: { skipOrderingLock: true } };
    const store = closing(createPostgresEventStore({ connectionString: db().url, ...unlocked }));
    const head = await store.headPosition();
    const follower = follow(store, head);
    const a = await startHeldWriter({ skipOrderingLock: true });

    await store.append(uniqueStream('b'), [paused('B')], { expectedVersion: 0 });
    await store.append(uniqueStream('c'), [resumed('C')], { expectedVersion: 0 });
    await waitFor('B and C delivered', () => (follower.seen.length >= 2 ? true : undefined));
    a.release();
    await a.append;
    const marker = await store.append(uniqueStream('d'), [paused('D')], { expectedVersion: 0 });
    await waitFor('the marker', () =>
      follower.seen.some((e) => e.position === marker.positions[0]) ? true : undefined,
    );
    await follower.subscription.stop();

    expect(positionsOf(await store.readAll({ after: head }))).toContain(a.positions[0]);
    expect(positionsOf(follower.seen)).not.toContain(a.positions[0]);
  });

  it('keeps exactly-once, in-order delivery with 10 concurrent writers', async () => {
    const writers = 10;
    const appendsPerWriter = 30;
    // Commits are delayed at random, inside the transaction, to vary the interleaving.
    const store = closing(
      createPostgresEventStore({
        connectionString: db().url,
        maxConnections: writers,
        testHooks: { beforeCommit: () => sleep(Math.random() < 0.3 ? Math.random() * 3 : 0) },
      }),
    );
    const reader = closing(
      createPostgresEventStore({ connectionString: db().url, pollIntervalMs: 100 }),
    );
    const head = await reader.headPosition();
    const follower = follow(reader, head, { batchSize: 7 });

    const streams = Array.from({ length: writers }, (_, w) => uniqueStream(`stress-${w}`));
    await Promise.all(
      streams.map(async (stream) => {
        let version = 0;
        for (let i = 0; i < appendsPerWriter; i += 1) {
          const events = i % 3 === 0 ? [paused(), resumed()] : [paused()];
          version = (await store.append(stream, events, { expectedVersion: version }))
            .streamVersion;
        }
      }),
    );
    const all = await reader.readAll({ after: head, limit: 10_000 });
    const total = writers * (appendsPerWriter + appendsPerWriter / 3);
    expect(all).toHaveLength(total);
    await waitFor('the follower to catch up', () =>
      follower.seen.length >= total ? true : undefined,
    );
    await follower.subscription.stop();

    expect(follower.seen).toHaveLength(total);
    expect(isStrictlyIncreasing(positionsOf(follower.seen))).toBe(true);
    expect(positionsOf(follower.seen)).toEqual(positionsOf(all));
    for (const stream of streams) {
      const versions = (await reader.readStream(stream)).map((e) => e.streamVersion);
      expect(versions).toEqual(Array.from({ length: total / writers }, (_, i) => i + 1));
    }
  });
});
