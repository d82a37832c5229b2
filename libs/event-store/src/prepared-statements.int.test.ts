// Test-only edge: testkit imports this lib (embedded Postgres) for its global setup.
import { useTestDatabase } from '@orrery/testkit';
import { sql } from 'kysely';
import { describe, expect, it } from 'vitest';
import { createEventStoreDb, createEventStorePool } from './postgres-connection.js';
import { preparedName } from './prepared-statements.js';

const db = useTestDatabase();

describe('statements marked prepare', () => {
  it('run as named prepared statements on the connection, with the same answers; the rest do not', async () => {
    const pool = createEventStorePool({ connectionString: db().url, max: 1 });
    const kysely = createEventStoreDb(pool);
    try {
      const doubled = (n: number) =>
        sql<{
          doubled: number;
        }>`/* prepare: orrery-test-doubled */ select ${n}::int * 2 as doubled`;
      const tripled = (n: number) => sql<{ tripled: number }>`select ${n}::int * 3 as tripled`;
      // More than five runs: Postgres may switch the prepared one to a generic plan.
      for (const n of [1, 2, 3, 4, 5, 6, 7]) {
        expect((await doubled(n).execute(kysely)).rows).toEqual([{ doubled: n * 2 }]);
        expect((await tripled(n).execute(kysely)).rows).toEqual([{ tripled: n * 3 }]);
      }
      // One connection (max 1): the session's prepared statements are the pool's.
      const { rows } = await sql<{ name: string; statement: string }>`
        select name, statement from pg_prepared_statements order by name`.execute(kysely);
      expect(rows.map((r) => r.name)).toEqual(['orrery-test-doubled']);
      expect(rows[0]?.statement).toContain('select $1::int * 2 as doubled');
      // A transaction runs them on its connection too.
      const inside = await kysely.transaction().execute((trx) => doubled(21).execute(trx));
      expect(inside.rows).toEqual([{ doubled: 42 }]);
    } finally {
      await kysely.destroy();
    }
  });

  it('refuses one name marked on two different texts', () => {
    expect(preparedName('/* prepare: orrery-test-twice */ select 1')).toBe('orrery-test-twice');
    expect(preparedName('/* prepare: orrery-test-twice */ select 1')).toBe('orrery-test-twice');
    expect(() => preparedName('/* prepare: orrery-test-twice */ select 2')).toThrow(
      /orrery-test-twice is marked on two different texts/,
    );
    expect(preparedName('select 1 /* prepare: not-at-the-start */')).toBeUndefined();
  });
});
