import pg from 'pg';

/** How long the cut waits for the terminated backends to be gone. */
const TERMINATE_WAIT_MS = 10_000;

export interface DatabaseOutage {
  /** Backends of the database that were terminated at the cut. */
  readonly terminated: number;
  /** Opens the database to connections again. Idempotent. */
  restore(): Promise<void>;
}

async function asAdmin<T>(adminUrl: string, work: (client: pg.Client) => Promise<T>): Promise<T> {
  const client = new pg.Client({ connectionString: adminUrl });
  client.on('error', () => {}); // a failure reaches the query
  await client.connect();
  try {
    return await work(client);
  } finally {
    await client.end();
  }
}

/**
 * Cuts one database off from everything that uses it, as an outage does, without touching the
 * other databases of the server: it refuses new connections (`ALLOW_CONNECTIONS false`) and
 * terminates every backend connected to it (each client sees SQLSTATE 57P01), waiting until
 * they are gone. `adminUrl` is a superuser's connection to another database of the server.
 *
 * @example
 * const outage = await cutOffDatabase(adminUrl, db().name);
 * try { ... } finally { await outage.restore(); }
 */
export async function cutOffDatabase(adminUrl: string, database: string): Promise<DatabaseOutage> {
  const name = pg.escapeIdentifier(database);
  const terminated = await asAdmin(adminUrl, async (client) => {
    await client.query(`alter database ${name} with allow_connections false`);
    // Pick the backends first, then terminate them: in one WHERE clause the planner may call
    // pg_terminate_backend before the other conditions, on any database's backends.
    const { rows: backends } = await client.query<{ pid: number }>(
      `select pid from pg_stat_activity where datname = $1 and pid <> pg_backend_pid()`,
      [database],
    );
    // All at once (an outage hits every connection together), then wait until they are gone.
    const { rows } = await client.query<{ n: number }>(
      `select count(*) filter (where pg_terminate_backend(pid))::int as n
       from unnest($1::int[]) as pid`,
      [backends.map((b) => b.pid)],
    );
    const deadline = Date.now() + TERMINATE_WAIT_MS;
    for (;;) {
      const { rows: left } = await client.query<{ n: number }>(
        `select count(*)::int as n from pg_stat_activity
         where datname = $1 and pid = any($2::int[])`,
        [database, backends.map((b) => b.pid)],
      );
      if ((left[0]?.n ?? 0) === 0) break;
      if (Date.now() > deadline)
        throw new Error(`backends of ${database} still there after the cut`);
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
    return rows[0]?.n ?? 0;
  });
  let restored: Promise<void> | undefined;
  return {
    terminated,
    restore: () =>
      (restored ??= asAdmin(adminUrl, async (client) => {
        await client.query(`alter database ${name} with allow_connections true`);
      })),
  };
}
