import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import type { TestProject } from 'vitest/node';
import { startEmbeddedPostgres } from '@orrery/postgres';
import './vitest-context.js';

/**
 * Vitest global setup: use the server in DATABASE_URL, or start an embedded
 * PostgreSQL for the run when it is unset (a fresh machine needs nothing
 * installed). Each test file then creates its own database on it.
 */
export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  const fromEnv = process.env['DATABASE_URL'];
  if (fromEnv) {
    const client = new pg.Client({ connectionString: fromEnv });
    try {
      await client.connect();
    } catch (error) {
      throw new Error(`DATABASE_URL=${fromEnv} is not reachable: ${String(error)}`);
    } finally {
      await client.end().catch(() => {});
    }
    project.provide('databaseUrl', fromEnv);
    return async () => {};
  }
  const dataDir = await mkdtemp(join(tmpdir(), 'orrery-test-pg-'));
  const started = Date.now();
  const server = await startEmbeddedPostgres({ dataDir, persistent: false });
  console.log(`[testkit] DATABASE_URL unset: embedded PostgreSQL up in ${Date.now() - started} ms`);
  project.provide('databaseUrl', server.url);
  return async () => {
    await server.stop();
    await rm(dataDir, { recursive: true, force: true });
  };
}
