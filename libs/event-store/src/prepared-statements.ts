import type { PostgresPool, PostgresPoolClient } from 'kysely';
import type pg from 'pg';

/**
 * A statement whose text starts with `/* prepare: <name> *\/` runs as a named prepared
 * statement on each connection: Postgres parses, analyses and plans it once per connection
 * (then reuses the plan, or a generic one after five runs when it costs no more) instead of on
 * every call.
 *
 * Why: in the bench's distributed phase (`npm run bench -- --only distributed`), a `perf`
 * profile of the machine put parsing, analysing and planning at about a quarter of Postgres's
 * CPU, which was a third of the machine's; `pg_stat_statements` gave the processors' read of the
 * log 0.23 ms of planning for 0.20 ms of execution, run about a hundred times a second.
 *
 * Mark only statements whose text never changes and whose best plan does not depend on how
 * large the tables are — lookups by key, ranges of a primary key: a generic plan is made once,
 * from the statistics of that moment, and kept for the connection's life. Marked on the
 * projection's writes (a JSON document joined to `runs` and `schedule`), the same bench phase
 * ran the update of answered runs 8.8 ms a call against 1.4 ms planned each time: a plan chosen
 * while `runs` was small, kept as it grew.
 *
 * Statements kept per connection hold a little memory on the server for the connection's life;
 * the marked statements are a fixed set. A pooler in transaction mode must support named
 * prepared statements (PgBouncer 1.21+ with `max_prepared_statements`), as the API's reads
 * already require.
 *
 * @example
 * sql`/* prepare: orrery-checkpoint-fence *\/ update processor_checkpoints set …`
 */
const MARK = /^\s*\/\* prepare: ([a-z0-9-]+) \*\//;

/** Every name seen in this process with its text: a name must always stand for one text. */
const texts = new Map<string, string>();

/** The statement's name when its text carries the mark (throws if the name has another text). */
export function preparedName(text: string): string | undefined {
  const name = MARK.exec(text)?.[1];
  if (name === undefined) return undefined;
  const known = texts.get(name);
  if (known === undefined) texts.set(name, text);
  else if (known !== text) {
    throw new Error(`prepared statement ${name} is marked on two different texts`);
  }
  return name;
}

/**
 * `pool` as Kysely's Postgres dialect takes it, with the marked statements sent as named
 * prepared statements. Everything else goes through unchanged.
 */
export function preparingPool(pool: pg.Pool): PostgresPool {
  return {
    connect: async () => preparingClient(await pool.connect()),
    end: () => pool.end(),
  };
}

function preparingClient(client: pg.PoolClient): PostgresPoolClient {
  const query = (sql: unknown, parameters?: readonly unknown[]): unknown => {
    if (typeof sql !== 'string') return client.query(sql as pg.Submittable);
    const name = preparedName(sql);
    const values = parameters ? [...parameters] : [];
    return name === undefined
      ? client.query(sql, values)
      : client.query({ name, text: sql, values });
  };
  return {
    query: query as PostgresPoolClient['query'],
    release: (destroy?: boolean) => client.release(destroy),
  };
}
