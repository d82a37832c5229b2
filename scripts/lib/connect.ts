import { existsSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { startEmbeddedPostgres, type EmbeddedPostgresHandle } from '@orrery/postgres';
import pg from 'pg';

async function reachable(url: string): Promise<boolean> {
  const client = new pg.Client({ connectionString: url, connectionTimeoutMillis: 2000 });
  try {
    await client.connect();
    return true;
  } catch {
    return false;
  } finally {
    await client.end().catch(() => {});
  }
}

/**
 * The database a command-line tool works on: DATABASE_URL; else the embedded
 * server of a running `npm start` (its URL is in .orrery/pg.url); else the
 * embedded server started for the command (stop it with `embedded.stop()`).
 */
export async function connectForTool(): Promise<{
  url: string;
  embedded: EmbeddedPostgresHandle | null;
}> {
  if (process.env['DATABASE_URL']) return { url: process.env['DATABASE_URL'], embedded: null };
  const dataDir = resolve(process.env['ORRERY_DATA_DIR'] ?? '.orrery');
  const urlFile = join(dataDir, 'pg.url');
  const running = existsSync(urlFile) ? readFileSync(urlFile, 'utf8').trim() : '';
  if (running && (await reachable(running))) return { url: running, embedded: null };
  const embedded = await startEmbeddedPostgres({ dataDir: join(dataDir, 'pg'), persistent: true });
  return { url: embedded.url, embedded };
}
