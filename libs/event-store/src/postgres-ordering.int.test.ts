/**
 * Ordered reading under concurrent writers: a follower reading
 * `position > checkpoint` must never skip an event that commits late with a
 * lower position. Writer A is held inside its transaction (after its insert,
 * before commit) by a trigger of the test database while B and C append; see
 * postgres-event-store.ts for the lock. The store under test has production
 * options only: the late commit is staged from outside it.
 */
import type { DomainEvent, RecordedEvent } from '@orrery/domain';
// Test-only edge: testkit imports this lib (embedded Postgres) for its global setup.
import { useTestDatabase, waitFor } from '@orrery/testkit';
import { beforeAll, describe, expect, it } from 'vitest';
import { follow, isStrictlyIncreasing, paused, resumed, uniqueStream } from './contract-helpers.js';
import { migrateDatabase } from './migrator.js';
import { createPostgresEventStore, ORDERING_LOCK_KEY } from './postgres-event-store.js';
import {
  HELD,
  HOLD_KEY,
  holdCommits,
  installCommitGates,
  JITTERED,
  UnlockedWriter,
  waitingFor,
} from './postgres-ordering.test-support.js';
import { closeAfterEach } from './postgres-test-helpers.js';

const db = useTestDatabase();
const closing = closeAfterEach();

beforeAll(async () => {
  await migrateDatabase(db().url);
  await installCommitGates(db().url);
});

/** Holds the commits of `held-…` appends; resolves `held()` once one is held with its positions. */
async function gate() {
  const hold = await holdCommits(db().url);
  closing({ close: () => hold.release() }); // never leave a writer held
  return {
    held: () =>
      waitFor('writer A to hold its positions, uncommitted', async () =>
        (await waitingFor(db().url, HOLD_KEY)) >= 1 ? true : undefined,
      ),
    release: () => hold.release(),
  };
}

const positionsOf = (events: readonly RecordedEvent[]) => events.map((e) => e.position);

describe('ordered reading', () => {
  it('delivers a late-committing lower position before the later ones, each once', async () => {
    const store = closing(createPostgresEventStore({ connectionString: db().url }));
    const writerA = closing(createPostgresEventStore({ connectionString: db().url }));
    const head = await store.headPosition();
    const follower = follow(store, head, { batchSize: 1 });
    const hold = await gate();

    const a = writerA.append(uniqueStream(HELD), [paused('A')], { expectedVersion: 0 });
    await hold.held();
    const b = store.append(uniqueStream('b'), [paused('B')], { expectedVersion: 0 });
    const c = store.append(uniqueStream('c'), [resumed('C')], { expectedVersion: 0 });
    await waitFor('B and C to queue behind A on the ordering lock', async () =>
      (await waitingFor(db().url, ORDERING_LOCK_KEY)) >= 2 ? true : undefined,
    );
    expect(await store.readAll({ after: head })).toEqual([]);

    await hold.release();
    const [resultA, ...rest] = await Promise.all([a, b, c]);
    await waitFor('all three events', () => (follower.seen.length >= 3 ? true : undefined));
    await follower.subscription.stop();

    const written = [resultA, ...rest].flatMap((r) => r.positions);
    expect(Math.min(...written)).toBe(resultA.positions[0]);
    expect(positionsOf(follower.seen)).toEqual([...written].sort((x, y) => x - y));
    expect(follower.errors).toEqual([]);
  });

  it('a read of some types never covers a position that is still to commit', async () => {
    const store = closing(createPostgresEventStore({ connectionString: db().url }));
    const writerA = closing(createPostgresEventStore({ connectionString: db().url }));
    const hold = await gate();
    const before = await store.append(uniqueStream('before'), [resumed('0')], {
      expectedVersion: 0,
    });
    const head = await store.headPosition();

    const a = writerA.append(uniqueStream(HELD), [paused('A')], { expectedVersion: 0 });
    await hold.held();
    // A holds its position, uncommitted: the read reaches the head it can see, no further.
    const early = await store.readTypes({ after: 0, types: ['Paused', 'Resumed'] });
    expect(early.through).toBe(head);
    expect(positionsOf(early.events).at(-1)).toBe(before.positions[0]);

    await hold.release();
    const resultA = await a;
    const late = await store.readTypes({ after: early.through, types: ['Paused'] });
    expect(positionsOf(late.events)).toEqual(resultA.positions);
    expect(late.through).toBe(resultA.positions[0]);
  });

  it('without the ordering lock, a follower skips the late commit (the hazard the lock prevents)', async () => {
    const store = closing(createPostgresEventStore({ connectionString: db().url }));
    const unlocked = closing(new UnlockedWriter(db().url));
    const head = await store.headPosition();
    const follower = follow(store, head);
    const hold = await gate();
    const append = (stream: string, event: DomainEvent) =>
      unlocked.append({ streamId: uniqueStream(stream), events: [event], expectedVersion: 0 });

    const a = append(HELD, paused('A'));
    await hold.held();
    await append('b', paused('B'));
    await append('c', resumed('C'));
    await waitFor('B and C delivered', () => (follower.seen.length >= 2 ? true : undefined));
    await hold.release();
    const resultA = await a;
    if (resultA instanceof Error) throw resultA;
    const marker = await store.append(uniqueStream('d'), [paused('D')], { expectedVersion: 0 });
    await waitFor('the marker', () =>
      follower.seen.some((e) => e.position === marker.positions[0]) ? true : undefined,
    );
    await follower.subscription.stop();

    const positionA = resultA.positions[0];
    expect(positionsOf(follower.seen)[0]).toBeGreaterThan(positionA ?? Infinity);
    expect(positionsOf(await store.readAll({ after: head }))).toContain(positionA);
    expect(positionsOf(follower.seen)).not.toContain(positionA);
  });

  it('keeps exactly-once, in-order delivery with 10 concurrent writers', async () => {
    const writers = 10;
    const appendsPerWriter = 30;
    // Commits of jitter-… streams are delayed at random, inside the transaction, to vary
    // the interleaving.
    const store = closing(
      createPostgresEventStore({ connectionString: db().url, maxConnections: writers }),
    );
    const reader = closing(
      createPostgresEventStore({ connectionString: db().url, pollIntervalMs: 100 }),
    );
    const head = await reader.headPosition();
    const follower = follow(reader, head, { batchSize: 7 });

    const streams = Array.from({ length: writers }, (_, w) => uniqueStream(`${JITTERED}-${w}`));
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
