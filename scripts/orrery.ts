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
import { parseArgs } from 'node:util';
import { createApiKey, createTenant, ProblemError, revokeApiKey } from '@orrery/api';
import { createPostgresEventStore, migrateDatabase } from '@orrery/event-store';
import { schedulingMigrations } from '@orrery/scheduling';
import { connectForTool } from './lib/connect.js';

const usage = `usage:
  orrery tenant create <id> [--name <name>]
  orrery key create <tenantId> [--name <name>]
  orrery key revoke <tenantId> <keyId>`;

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
  const { url, embedded } = await connectForTool();
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
