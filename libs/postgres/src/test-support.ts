import { rm, rmdir } from 'node:fs/promises';
import pg from 'pg';

/** Runs one statement on a fresh connection and returns its rows (tests only). */
export async function query<Row extends Record<string, unknown>>(
  url: string,
  sql: string,
  params: unknown[] = [],
): Promise<Row[]> {
  const client = new pg.Client({ connectionString: url });
  client.on('error', () => {});
  try {
    await client.connect();
    return (await client.query<Row>(sql, params)).rows;
  } finally {
    await client.end().catch(() => {});
  }
}

/** Removes `dirs`, then each of `parents` if that left it empty (deepest first). */
export async function removeAll(dirs: string[], parents: string[] = []): Promise<void> {
  for (const dir of dirs.splice(0)) await rm(dir, { recursive: true, force: true });
  for (const parent of parents) await rmdir(parent).catch(() => {});
}
