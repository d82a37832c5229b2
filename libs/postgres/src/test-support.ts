import { readdir, readlink, rm, rmdir } from 'node:fs/promises';
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

/**
 * Pids of every process whose working directory is `dir` (every PostgreSQL
 * server process works in its cluster directory), read from /proc on its
 * own so a test does not trust the code it checks. A deleted directory shows
 * with a " (deleted)" suffix.
 */
export async function processesIn(dir: string): Promise<number[]> {
  const found: number[] = [];
  for (const entry of await readdir('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    const cwd = await readlink(`/proc/${entry}/cwd`).catch(() => undefined);
    if (cwd === dir || cwd === `${dir} (deleted)`) found.push(Number(entry));
  }
  return found;
}

/** Removes `dirs`, then each of `parents` if that left it empty (deepest first). */
export async function removeAll(dirs: string[], parents: string[] = []): Promise<void> {
  for (const dir of dirs.splice(0)) await rm(dir, { recursive: true, force: true });
  for (const parent of parents) await rmdir(parent).catch(() => {});
}

/**
 * Polls `probe` until it returns a value other than undefined, or throws
 * after `timeoutMs` naming `what`. The same contract as @orrery/testkit's
 * `waitFor`, which this library cannot import: the testkit depends on it
 * (its global setup starts embedded PostgreSQL), and Nx refuses the cycle.
 */
export async function waitFor<T>(
  what: string,
  probe: () => Promise<T | undefined> | T | undefined,
  { timeoutMs = 10_000, intervalMs = 20 }: { timeoutMs?: number; intervalMs?: number } = {},
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value !== undefined) return value;
    if (Date.now() > deadline)
      throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, intervalMs));
  }
}
