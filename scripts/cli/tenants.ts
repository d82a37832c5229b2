/**
 * What `orrery tenant …` and `orrery key …` do (their command lines: tenant-command.ts): each
 * a command on the tenant's stream, straight on the database, as the API's admin routes do.
 */
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
import type { EventStore, TenantState } from '@orrery/domain';
import {
  createEventStoreDb,
  createEventStorePool,
  createPostgresEventStore,
  migrateDatabase,
  type EventStoreSchema,
} from '@orrery/event-store';
import { schedulingMigrations } from '@orrery/scheduling';
import type { Kysely } from 'kysely';
import { connectForTool } from '../lib/connect.js';
import { EXIT } from './program.js';

interface TenantDeps {
  readonly store: EventStore;
  readonly events: Kysely<EventStoreSchema>;
}

/** The actor of what the CLI appends. */
const BY = 'cli';

/** Connects and migrates, runs `work`, closes; a ProblemError prints its message, exit 1. */
async function withTenants(work: (deps: TenantDeps) => Promise<void>): Promise<number> {
  const { url, embedded } = await connectForTool();
  const store = createPostgresEventStore({ connectionString: url, maxConnections: 2 });
  const events = createEventStoreDb(createEventStorePool({ connectionString: url, max: 1 }));
  try {
    await migrateDatabase(url, undefined, schedulingMigrations);
    await work({ store, events });
    return EXIT.ok;
  } catch (error) {
    if (!(error instanceof ProblemError)) throw error;
    console.error(`orrery: ${error.message}`);
    return EXIT.problem;
  } finally {
    await store.close();
    await events.destroy();
    await embedded?.stop();
  }
}

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

export const createTenantVerb = (id: string, name: string) =>
  withTenants(async ({ store }) => {
    await createTenant(store, id, name, BY);
    console.log(`tenant ${id} created`);
  });

/** Every tenant, a page at a time: tab-separated lines, or one JSON array. */
export const listTenantsVerb = (json: boolean) =>
  withTenants(async ({ events }) => {
    const all: unknown[] = [];
    let cursor: string | undefined;
    do {
      const page = await listTenants(events, { limit: 200, cursor });
      if (json) all.push(...page.items);
      else
        for (const t of page.items) console.log(`${t.id}\t${t.status}\t${t.createdAt}\t${t.name}`);
      cursor = page.nextCursor ?? undefined;
    } while (cursor);
    if (json) console.log(JSON.stringify(all, null, 2));
  });

export const showTenantVerb = (id: string, json: boolean) =>
  withTenants(async ({ store }) => {
    const state = await readTenant(store, id);
    console.log(json ? JSON.stringify(tenantDetail(state), null, 2) : describeTenant(state));
  });

export const disableTenantVerb = (id: string, reason: string) =>
  withTenants(async ({ store }) => {
    await disableTenant(store, id, reason, BY);
    console.log(`tenant ${id} disabled: its API keys are refused from now on`);
  });

export const enableTenantVerb = (id: string, reason: string) =>
  withTenants(async ({ store }) => {
    await enableTenant(store, id, reason, BY);
    console.log(`tenant ${id} enabled: its API keys that are not revoked work again`);
  });

/** A new key, shown once: on stdout, as a line of its own or in the JSON. */
export const createKeyVerb = (tenantId: string, name: string, json: boolean) =>
  withTenants(async ({ store }) => {
    const key = await createApiKey(store, tenantId, name, BY);
    if (json) return console.log(JSON.stringify({ tenantId, ...key }, null, 2));
    console.log(`key ${key.keyId} created for tenant ${tenantId}; shown once, keep it safe:`);
    console.log(key.key);
  });

export const revokeKeyVerb = (tenantId: string, keyId: string) =>
  withTenants(async ({ store }) => {
    await revokeApiKey(store, tenantId, keyId, BY);
    console.log(`key ${keyId} of tenant ${tenantId} revoked`);
  });
