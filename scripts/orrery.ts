/**
 * The `orrery` admin CLI: tenants, API keys, applying pipeline documents, and reading the log
 * (explain, history, events tail: read-only, see scripts/cli/).
 *
 *   npm run orrery -- tenant create <id> [--name "Acme Inc"]
 *   npm run orrery -- tenant list
 *   npm run orrery -- tenant show <id>
 *   npm run orrery -- tenant disable <id> [--reason "invoice unpaid"]
 *   npm run orrery -- tenant enable <id> [--reason "paid"]
 *   npm run orrery -- key create <tenantId> [--name ci]
 *   npm run orrery -- key revoke <tenantId> <keyId>
 *   npm run orrery -- apply -f pipeline.yaml [--dry-run] [--tenant default] [--name <pipeline>]
 *   npm run orrery -- explain <endpoint> [--at <ISO time|position>] [--json]
 *   npm run orrery -- history <endpoint|job> [--since <time>] [--until <time>] [--limit N] [--json]
 *   npm run orrery -- events tail [--follow] [--type Paused,Resumed] [--endpoint <id>] … [--json]
 *   npm run orrery -- replay [--to <position|ISO time>] [--tenant t] [--job j] [--endpoint e] [--swap] [--json]
 *   npm run orrery -- what-if --job <id> --from now-1h --to now [--set demo-orders.baseline.everyMs=1000] [--json]
 *   npm run -s orrery -- mcp [--url <API URL>] [--key <API key>]   (an MCP server on stdio)
 *
 * Uses DATABASE_URL; without it, the embedded server of `npm start` (its URL
 * is in .orrery/pg.url while it runs), or starts the embedded server itself.
 */
import { parseArgs } from 'node:util';
import {
  createApiKey,
  createTenant,
  disableTenant,
  enableTenant,
  listTenants,
  ProblemError,
  readTenant,
  revokeApiKey,
  tenantDetail,
} from '@orrery/api';
import type { TenantState } from '@orrery/domain';
import {
  createEventStoreDb,
  createEventStorePool,
  createPostgresEventStore,
  migrateDatabase,
} from '@orrery/event-store';
import { schedulingMigrations } from '@orrery/scheduling';
import { eventsUsage, runEvents } from './cli/events-tail.js';
import { explainUsage, runExplain } from './cli/explain.js';
import { historyUsage, runHistory } from './cli/history.js';
import { mcpUsage, runMcp } from './cli/mcp.js';
import { runWhatIfCommand, whatIfUsage } from './cli/what-if.js';
import { runApply } from './lib/apply-command.js';
import { replaySynopsis, runReplay } from './lib/replay-command.js';
import { connectForTool } from './lib/connect.js';

const usage = `usage:
  orrery tenant create <id> [--name <name>]
  orrery tenant list
  orrery tenant show <id>
  orrery tenant disable <id> [--reason <reason>]
  orrery tenant enable <id> [--reason <reason>]
  orrery key create <tenantId> [--name <name>]
  orrery key revoke <tenantId> <keyId>
  orrery apply -f <file.yaml|file.json|-> [--dry-run] [--tenant <id>] [--name <pipeline>]
${explainUsage}
${historyUsage}
${eventsUsage}
${whatIfUsage}
${mcpUsage}
  orrery replay ${replaySynopsis}`;

/** Verbs and how many positional arguments each takes. */
const verbs: Record<string, number> = {
  'tenant create': 1,
  'tenant list': 0,
  'tenant show': 1,
  'tenant disable': 1,
  'tenant enable': 1,
  'key create': 1,
  'key revoke': 2,
};

/** Read-only verbs that parse their own command line (argv after the verb). */
const readVerbs: Record<string, (argv: string[]) => Promise<number>> = {
  explain: runExplain,
  history: runHistory,
  events: runEvents,
  'what-if': runWhatIfCommand,
  mcp: runMcp,
};

/** A tenant for people: status, who disabled it and why, and its keys (never a hash). */
function describeTenant(state: TenantState): string {
  const tenant = tenantDetail(state);
  const status = tenant.disabled
    ? `disabled since ${tenant.disabled.since} by ${tenant.disabled.actor.kind}:` +
      `${tenant.disabled.actor.id}${tenant.disabled.reason ? ` (${tenant.disabled.reason})` : ''}`
    : 'active';
  const keys = tenant.keys.map(
    (key) =>
      `  ${key.id}  ${key.name || '-'}  created ${key.createdAt}` +
      (key.revokedAt ? `, revoked ${key.revokedAt}` : ''),
  );
  return [
    `tenant ${tenant.id} (${tenant.name}): ${status}`,
    `created ${tenant.createdAt}`,
    keys.length > 0 ? `keys:\n${keys.join('\n')}` : 'keys: none',
  ].join('\n');
}

async function main(argv: string[]): Promise<number> {
  // Replay parses its own command line (see scripts/lib/replay-command.ts).
  if (argv[0] === 'replay') return runReplay(argv.slice(1));
  const read = readVerbs[argv[0] ?? ''];
  if (read) return read(argv.slice(1));
  const { values, positionals } = parseArgs({
    args: argv,
    allowPositionals: true,
    options: {
      name: { type: 'string' },
      reason: { type: 'string' },
      file: { type: 'string', short: 'f' },
      'dry-run': { type: 'boolean' },
      tenant: { type: 'string' },
      help: { type: 'boolean', short: 'h' },
    },
  });
  if (positionals[0] === 'apply') {
    if (values.help || positionals.length !== 1 || values.file === undefined) {
      console.error(usage);
      return values.help ? 0 : 2;
    }
    return runApply({
      file: values.file,
      dryRun: values['dry-run'] === true,
      tenant: values.tenant ?? 'default',
      ...(values.name === undefined ? {} : { name: values.name }),
    });
  }
  const [noun, verb, ...rest] = positionals;
  const command = `${noun} ${verb}`;
  const arity = verbs[command];
  if (values.help || arity === undefined || rest.length !== arity) {
    console.error(usage);
    return values.help ? 0 : 2;
  }
  const { url, embedded } = await connectForTool();
  const store = createPostgresEventStore({ connectionString: url, maxConnections: 2 });
  const events = createEventStoreDb(createEventStorePool({ connectionString: url, max: 1 }));
  try {
    await migrateDatabase(url, undefined, schedulingMigrations);
    const [first = '', second = ''] = rest;
    const reason = values.reason ?? '';
    switch (command) {
      case 'tenant create': {
        const tenant = await createTenant(store, first, values.name ?? first, 'cli');
        console.log(`tenant ${tenant.id} created`);
        break;
      }
      case 'tenant list': {
        let cursor: string | undefined;
        do {
          const page = await listTenants(events, { limit: 200, cursor });
          for (const t of page.items)
            console.log(`${t.id}\t${t.status}\t${t.createdAt}\t${t.name}`);
          cursor = page.nextCursor ?? undefined;
        } while (cursor);
        break;
      }
      case 'tenant show':
        console.log(describeTenant(await readTenant(store, first)));
        break;
      case 'tenant disable':
        await disableTenant(store, first, reason, 'cli');
        console.log(`tenant ${first} disabled: its API keys are refused from now on`);
        break;
      case 'tenant enable':
        await enableTenant(store, first, reason, 'cli');
        console.log(`tenant ${first} enabled: its API keys that are not revoked work again`);
        break;
      case 'key create': {
        const key = await createApiKey(store, first, values.name ?? '', 'cli');
        console.log(`key ${key.keyId} created for tenant ${first}; shown once, keep it safe:`);
        console.log(key.key);
        break;
      }
      case 'key revoke':
        await revokeApiKey(store, first, second, 'cli');
        console.log(`key ${second} of tenant ${first} revoked`);
        break;
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
    await events.destroy();
    await embedded?.stop();
  }
}

process.exitCode = await main(process.argv.slice(2));
