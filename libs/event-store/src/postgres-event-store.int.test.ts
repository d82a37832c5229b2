import { ConcurrencyError } from '@orrery/domain';
// Test-only edge: testkit imports this lib (embedded Postgres) for its global setup.
import { useTestDatabase, waitFor } from '@orrery/testkit';
import { beforeAll, describe, expect, it } from 'vitest';
import { follow, paused, uniqueStream } from './contract-helpers.js';
import { eventStoreContract } from './event-store.contract.js';
import { migrateDatabase } from './migrator.js';
import { TimeOrderError } from './append-plan.js';
import { createPostgresEventStore } from './postgres-event-store.js';
import { LISTENER_APPLICATION } from './postgres-listener.js';
import { closeAfterEach, blockedSessions, insertRaw, withClient } from './postgres-test-helpers.js';

const db = useTestDatabase();
const closing = closeAfterEach();

beforeAll(async () => {
  await migrateDatabase(db().url);
});

eventStoreContract('PostgresEventStore', async () =>
  createPostgresEventStore({ connectionString: db().url }),
);

describe('PostgresEventStore', () => {
  it('wakes a subscriber by notification, long before its poll', async () => {
    const store = closing(
      createPostgresEventStore({ connectionString: db().url, pollIntervalMs: 60_000 }),
    );
    const head = await store.headPosition();
    const follower = follow(store, head);
    await waitFor('the listener to connect', async () =>
      (await listeners(db().url)) > 0 ? true : undefined,
    );
    await store.append(uniqueStream('endpoint'), [paused()], { expectedVersion: 0 });
    await waitFor('the notified delivery', () => (follower.seen.length > 0 ? true : undefined), {
      timeoutMs: 5_000,
    });
  });

  it('still delivers, by polling, an event whose notification never came', async () => {
    const store = closing(
      createPostgresEventStore({ connectionString: db().url, pollIntervalMs: 50 }),
    );
    const head = await store.headPosition();
    const follower = follow(store, head);
    const stream = uniqueStream('silent');
    await withClient(db().url, (client) =>
      insertRaw(client, { streamId: stream, version: 1, type: 'Resumed', data: { reason: '' } }),
    );
    await waitFor('the polled delivery', () => (follower.seen.length > 0 ? true : undefined));
    expect(follower.seen.map((e) => e.streamId)).toEqual([stream]);
  });

  it('releases the listening connection on stop() and close()', async () => {
    const store = closing(createPostgresEventStore({ connectionString: db().url }));
    const before = await listeners(db().url);
    const a = follow(store, 0);
    follow(store, 0);
    await waitFor('two listeners', async () =>
      (await listeners(db().url)) === before + 2 ? true : undefined,
    );
    await a.subscription.stop();
    await waitFor('one listener left', async () =>
      (await listeners(db().url)) === before + 1 ? true : undefined,
    );
    await store.close();
    await waitFor('no listener left', async () =>
      (await listeners(db().url)) === before ? true : undefined,
    );
    expect(a.errors).toEqual([]);
  });

  it('keeps delivering after its listening connection is killed: it listens again', async () => {
    const store = closing(createPostgresEventStore({ connectionString: db().url }));
    const follower = follow(store, await store.headPosition());
    await waitFor('the listener', async () => ((await listeners(db().url)) > 0 ? true : undefined));
    await withClient(db().url, (client) =>
      client.query(
        `select pg_terminate_backend(pid) from pg_stat_activity
         where datname = current_database() and application_name = $1`,
        [LISTENER_APPLICATION],
      ),
    );
    await waitFor(
      'a new listener',
      async () => ((await listeners(db().url)) > 0 ? true : undefined),
      {
        timeoutMs: 15_000,
      },
    );
    await store.append(uniqueStream('after-kill'), [paused()], { expectedVersion: 0 });
    await waitFor('the event appended after the kill', () =>
      follower.seen.length > 0 ? true : undefined,
    );
    expect(follower.errors).toEqual([]);
  });

  it('listens again on one connection after each loss, and holds none once closed', async () => {
    const store = closing(createPostgresEventStore({ connectionString: db().url }));
    const before = await listeners(db().url);
    const follower = follow(store, await store.headPosition());
    for (const loss of [1, 2]) {
      await waitFor(`a listener before loss ${loss}`, async () =>
        (await listeners(db().url)) > before ? true : undefined,
      );
      await withClient(db().url, (client) =>
        client.query(
          `select pg_terminate_backend(pid) from pg_stat_activity
           where datname = current_database() and application_name = $1`,
          [LISTENER_APPLICATION],
        ),
      );
      await store.append(uniqueStream(`loss-${loss}`), [paused()], { expectedVersion: 0 });
      await waitFor(`the event after loss ${loss}`, () =>
        follower.seen.length >= loss ? true : undefined,
      );
    }
    await waitFor('a listener after the losses', async () =>
      (await listeners(db().url)) > before ? true : undefined,
    );
    // Each loss reopens one connection, never two (pg reports a loss as 'error' and 'end').
    await store.close();
    await waitFor('no listener left', async () =>
      (await listeners(db().url)) === before ? true : undefined,
    );
    expect(follower.errors).toEqual([]);
  });

  // An append's insert travels as one simple query with its values written in as literals
  // (`inlineParameters`): whatever a value holds, it must arrive as it was sent, as text.
  it('stores values that look like SQL exactly as they were sent', async () => {
    const store = closing(createPostgresEventStore({ connectionString: db().url }));
    const awkward = [
      "it's",
      "''; commit; drop table events; --",
      String.raw`back\slash \' and \n, E'x'`,
      '$1 $$ $tag$ ? :name',
      '$o$ ends early? $o1$ $o',
      'ends in half a tag $o',
      'line\nbreak\ttab',
      'ünïcödé ✓ 🚀 中文',
    ];
    const stream = uniqueStream(`odd'"\\$1`);
    const results = await store.appendMany(
      awkward.map((reason, i) => ({
        streamId: stream,
        expectedVersion: i === 0 ? 0 : 'any',
        events: [paused(reason)],
        idempotencyKey: `key '${i}' \\ $${i + 1}`,
      })),
    );
    expect(results.map((r) => r.streamVersion)).toEqual(awkward.map((_, i) => i + 1));
    const read = await store.readStream(stream);
    expect(read.map((e) => e.streamId)).toEqual(awkward.map(() => stream));
    expect(read.map((e) => (e.data as { reason: string }).reason)).toEqual(awkward);
    // The keys were stored as sent: sending them again appends nothing.
    const again = await store.appendEach(
      awkward.map((reason, i) => ({
        streamId: stream,
        expectedVersion: 'any',
        events: [paused(reason)],
        idempotencyKey: `key '${i}' \\ $${i + 1}`,
      })),
    );
    expect(
      again.map((outcome) => !(outcome instanceof ConcurrencyError) && outcome.duplicate),
    ).toEqual(awkward.map(() => true));
  });

  it('leaves no transaction open after a refused append: its connection serves the next', async () => {
    // One connection: the refused append's connection is the one the next append gets.
    const store = closing(
      createPostgresEventStore({ connectionString: db().url, maxConnections: 1 }),
    );
    const stream = uniqueStream('refused');
    await store.append(stream, [paused()], { expectedVersion: 0 });
    // Pinned before the log's last event: the insert itself refuses it (the log's time order).
    await expect(
      store.append(stream, [paused()], {
        expectedVersion: 1,
        recordedAt: '2000-01-01T00:00:00.000Z',
      }),
    ).rejects.toThrow(TimeOrderError);
    await store.append(stream, [paused('after')], { expectedVersion: 1 });
    expect((await store.readStream(stream)).map((e) => e.streamVersion)).toEqual([1, 2]);
  });

  it('maps a unique violation from a writer outside the lock to ConcurrencyError', async () => {
    const store = closing(createPostgresEventStore({ connectionString: db().url }));
    const stream = uniqueStream('raced');
    await withClient(db().url, async (client) => {
      await client.query('begin');
      await insertRaw(client, {
        streamId: stream,
        version: 1,
        type: 'Resumed',
        data: { reason: '' },
      });
      // The store's check cannot see the uncommitted row; its insert waits on the unique index.
      const append = store.append(stream, [paused()], { expectedVersion: 0 });
      const settled = append.then(
        () => undefined,
        (error: unknown) => error,
      );
      await waitFor('the append to block on the index', async () =>
        (await blockedSessions(db().url, 'transactionid')) > 0 ? true : undefined,
      );
      await client.query('commit');
      const error = await settled;
      expect(error).toBeInstanceOf(ConcurrencyError);
      expect(error).toMatchObject({ streamId: stream, expected: 0, actual: 1 });
    });
    expect((await store.readStream(stream)).map((e) => e.type)).toEqual(['Resumed']);
  });
});

async function listeners(url: string): Promise<number> {
  return withClient(url, async (client) => {
    const { rows } = await client.query<{ n: number }>(
      `select count(*)::int as n from pg_stat_activity
       where datname = current_database() and application_name = $1`,
      [LISTENER_APPLICATION],
    );
    return rows[0]?.n ?? 0;
  });
}
