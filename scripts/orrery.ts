/**
 * The `orrery` admin CLI: tenants and API keys.
 *
 *   npm run orrery -- tenant create <id> [--name "Acme Inc"]
 *   npm run orrery -- key create <tenantId> [--name ci]
 *   npm run orrery -- key revoke <tenantId> <keyId>
 *
 * Uses DATABASE_URL; without it, the embedded server of `npm start` (its URL
 * is in .orrery/pg.url while it runs), or starts the embedded server itself.
 */
import { existsSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { createApiKey, createTenant, ProblemError, revokeApiKey } from '@orrery/api';
import { createPostgresEventStore, migrateDatabase } from '@orrery/event-store';
import { startEmbeddedPostgres, type EmbeddedPostgresHandle } from '@orrery/postgres';
import { schedulingMigrations } from '@orrery/scheduling';
import pg from 'pg';

const usage = `usage:
  orrery tenant create <id> [--name <name>]
  orrery key create <tenantId> [--name <name>]
  orrery key revoke <tenantId> <keyId>`;

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

async function connect(): Promise<{ url: string; embedded: EmbeddedPostgresHandle | null }> {
  if (process.env['DATABASE_URL']) return { url: process.env['DATABASE_URL'], embedded: null };
  const dataDir = resolve(process.env['ORRERY_DATA_DIR'] ?? '.orrery');
  const urlFile = join(dataDir, 'pg.url');
  const running = existsSync(urlFile) ? readFileSync(urlFile, 'utf8').trim() : '';
  if (running && (await reachable(running))) return { url: running, embedded: null };
  const embedded = await startEmbeddedPostgres({ dataDir: join(dataDir, 'pg'), persistent: true });
  return { url: embedded.url, embedded };
}

async function main(argv: string[]): Promise<number> {
  const { values, positionals } = parseArgs({
    args: argv,
    allowPositionals: true,
    options: { name: { type: 'string' }, help: { type: 'boolean', short: 'h' } },
  });
  const [noun, verb, ...rest] = positionals;
  const known = ['tenant create', 'key create', 'key revoke'];
  if (values.help || !known.includes(`${noun} ${verb}`)) {
    console.error(usage);
    return values.help ? 0 : 2;
  }
  const { url, embedded } = await connect();
  const store = createPostgresEventStore({ connectionString: url, maxConnections: 2 });
  try {
    await migrateDatabase(url, undefined, schedulingMigrations);
    const [first, second] = rest;
    if (!first || (noun === 'key' && verb === 'revoke' && !second)) {
      console.error(usage);
      return 2;
    }
    if (noun === 'tenant') {
      const tenant = await createTenant(store, first, values.name ?? first, 'cli');
      console.log(`tenant ${tenant.id} created`);
    } else if (verb === 'create') {
      const key = await createApiKey(store, first, values.name ?? '', 'cli');
      console.log(`key ${key.keyId} created for tenant ${first}; shown once, keep it safe:`);
      console.log(key.key);
    } else {
      await revokeApiKey(store, first, second ?? '', 'cli');
      console.log(`key ${second} of tenant ${first} revoked`);
    }
    return 0;
  } catch (error) {
    if (error instanceof ProblemError) {
      console.error(`orrery: ${error.message}`);
      return 1;
    }
    throw error;
  } finally {
    await store.close();
    await embedded?.stop();
  }
}

process.exitCode = await main(process.argv.slice(2));
