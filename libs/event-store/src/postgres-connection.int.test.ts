// Test-only edge: testkit imports this lib (embedded Postgres) for its global setup.
import { useTestDatabase, waitFor } from '@orrery/testkit';
import { sql } from 'kysely';
import { describe, expect, it } from 'vitest';
import { createEventStoreDb, createEventStorePool } from './postgres-connection.js';
import { withClient } from './postgres-test-helpers.js';

const db = useTestDatabase();

const terminate = (url: string, application: string) =>
  withClient(url, (client) =>
    client.query(
      `select pg_terminate_backend(pid) from pg_stat_activity
       where datname = current_database() and application_name = $1`,
      [application],
    ),
  );

describe('createEventStorePool', () => {
  // Unheard, pg's 'error' event on a checked-out client ends the process (this test's worker).
  it('fails the transaction whose connection is terminated, not the process; then connects again', async () => {
    const application = 'orrery-pool-under-test';
    const pool = createEventStorePool({
      connectionString: db().url,
      max: 2,
      application_name: application,
    });
    const kysely = createEventStoreDb(pool);
    try {
      // The pool's first client is the transaction's; note when its connection ends.
      const ended = new Promise((resolve) =>
        pool.once('connect', (client) => client.once('end', resolve)),
      );
      let holding: () => void = () => {};
      let release: () => void = () => {};
      const held = new Promise<void>((resolve) => (holding = resolve));
      const released = new Promise<void>((resolve) => (release = resolve));
      const transaction = kysely.transaction().execute(async (trx) => {
        await sql`select 1`.execute(trx);
        holding(); // between two statements: the client is checked out, no query in flight
        await released;
        await sql`select 2`.execute(trx);
      });
      await held;
      await terminate(db().url, application);
      await ended; // the connection died while the transaction held it
      release();
      await expect(transaction).rejects.toThrow(/not queryable|terminat/i);

      const { rows } = await waitFor('a query on a new connection', async () =>
        sql<{ answer: number }>`select 42 as answer`.execute(kysely).catch(() => undefined),
      );
      expect(rows).toEqual([{ answer: 42 }]);
    } finally {
      await kysely.destroy();
    }
  });
});
