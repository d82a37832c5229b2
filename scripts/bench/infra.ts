/** Postgres and Redis for the bench: a fresh database per phase, a unique key prefix, cleanup. */
import { randomBytes } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startEmbeddedPostgres } from '@orrery/postgres';
import { deleteKeysWithPrefix } from '@orrery/testkit';
import pg from 'pg';

/** Cleanup steps, run last-registered first; each failure is reported, none stops the rest. */
export class Cleanup {
  readonly #steps: { what: string; run: () => Promise<unknown> }[] = [];

  add(what: string, run: () => Promise<unknown>): void {
    this.#steps.unshift({ what, run });
  }

  async runAll(): Promise<void> {
    while (this.#steps.length > 0) {
      const step = this.#steps.shift();
      if (!step) break;
      try {
        await step.run();
      } catch (error) {
        console.error(`  ! cleanup "${step.what}" failed:`, error);
      }
    }
  }
}

async function withAdmin<T>(url: string, fn: (client: pg.Client) => Promise<T>): Promise<T> {
  const client = new pg.Client({ connectionString: url, application_name: 'orrery-bench' });
  await client.connect();
  try {
    return await fn(client);
  } finally {
    await client.end();
  }
}

/** The server to create bench databases on: DATABASE_URL, or an embedded one. */
export async function adminDatabaseUrl(
  configured: string | undefined,
  cleanup: Cleanup,
): Promise<{ url: string; embedded: boolean }> {
  if (configured) return { url: configured, embedded: false };
  const dataDir = await mkdtemp(join(tmpdir(), 'orrery-bench-pg-'));
  cleanup.add('remove the embedded data dir', () => rm(dataDir, { recursive: true, force: true }));
  console.log('DATABASE_URL unset: starting an embedded PostgreSQL…');
  const server = await startEmbeddedPostgres({ dataDir, persistent: false });
  cleanup.add('stop the embedded PostgreSQL', () => server.stop());
  return { url: server.url, embedded: true };
}

export async function serverVersion(adminUrl: string): Promise<string> {
  return withAdmin(adminUrl, async (c) => {
    const { rows } = await c.query<{ v: string }>("select current_setting('server_version') as v");
    return rows[0]?.v ?? '?';
  });
}

/** Creates `orrery_bench_<random>_<label>` and returns its URL and a drop function. */
export async function createBenchDatabase(
  adminUrl: string,
  label: string,
): Promise<{ name: string; url: string; drop: () => Promise<void> }> {
  const name = `orrery_bench_${randomBytes(4).toString('hex')}_${label.replace(/\W/g, '_')}`;
  await withAdmin(adminUrl, (c) => c.query(`CREATE DATABASE ${name}`));
  const url = new URL(adminUrl);
  url.pathname = `/${name}`;
  let dropped = false;
  return {
    name,
    url: url.toString(),
    drop: async () => {
      if (dropped) return;
      dropped = true;
      await withAdmin(adminUrl, (c) => c.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`));
    },
  };
}

/** Deletes a bench prefix's BullMQ keys; returns how many. */
export const deleteBenchKeys = (prefix: string, url: string): Promise<number> =>
  deleteKeysWithPrefix(prefix, { url, maxKeys: 5_000_000 });
