/** Helpers for the Postgres integration suites (not exported). */
import pg from 'pg';
import { afterEach } from 'vitest';

/** Runs `fn` with a raw connection of its own (for SQL the store would never issue). */
export async function withClient<T>(
  url: string,
  fn: (client: pg.Client) => Promise<T>,
): Promise<T> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    return await fn(client);
  } finally {
    await client.end();
  }
}

/** Sessions of the current database waiting for a lock (advisory or row/index). */
export async function blockedSessions(url: string, locktype?: string): Promise<number> {
  return withClient(url, async (client) => {
    const { rows } = await client.query<{ n: number }>(
      `select count(*)::int as n from pg_locks l join pg_stat_activity a using (pid)
       where a.datname = current_database() and not l.granted
         and ($1::text is null or l.locktype = $1)`,
      [locktype ?? null],
    );
    return rows[0]?.n ?? 0;
  });
}

/** Inserts an event row directly (no lock, no notification), as a broken or foreign writer would. */
export async function insertRaw(
  client: pg.Client,
  row: { streamId: string; version: number; type: string; typeVersion?: number; data: unknown },
): Promise<number> {
  const { rows } = await client.query<{ position: string }>(
    `insert into events (stream_id, stream_version, type, type_version, data, metadata, tenant_id)
     values ($1, $2, $3, $4, $5, $6, 't1') returning position`,
    [
      row.streamId,
      row.version,
      row.type,
      row.typeVersion ?? 1,
      JSON.stringify(row.data),
      JSON.stringify({ tenantId: 't1', actor: { kind: 'user', id: 'u1' } }),
    ],
  );
  return Number(rows[0]?.position);
}

/** Registers stores to close after each test, passed or failed (a failed test leaves no pool behind). */
export function closeAfterEach(): <S extends { close(): Promise<void> }>(store: S) => S {
  const open: { close(): Promise<void> }[] = [];
  afterEach(async () => {
    await Promise.allSettled(open.splice(0).map((store) => store.close()));
  });
  return (store) => {
    open.push(store);
    return store;
  };
}
