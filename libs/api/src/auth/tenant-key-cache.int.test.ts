import { SecretBox } from '@orrery/secrets';
import type { FastifyInstance } from 'fastify';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildApp } from '../app.js';
import { createApiDeps } from '../create-deps.js';
import {
  createApiKey,
  createTenant,
  disableTenant,
  enableTenant,
  revokeApiKey,
} from '../tenants.js';
import { ADMIN_KEY, useApiHarness } from '../test-support/api-harness.js';

/**
 * Key checks read the tenant from memory (TenantKeyCache); these are the outcomes that must not
 * change for it: a revoked key or a disabled tenant is refused on the very next request, on this
 * API process and on another one on the same database, and no wrong key ever gets in.
 */
const api = useApiHarness();
let other: { app: FastifyInstance; close: () => Promise<void> } | undefined;

beforeAll(async () => {
  // A second API process on the same database: its own pools, its own cache and LISTEN.
  const { deps, close } = createApiDeps({
    connectionString: api().databaseUrl,
    secrets: SecretBox.fromBase64(SecretBox.generateKey()),
    adminKey: ADMIN_KEY,
  });
  const app = await buildApp(deps);
  other = { app, close: async () => (await app.close(), await close()) };
});
afterAll(async () => {
  await other?.close();
});

const first = () => api().app;
const second = () => {
  if (!other) throw new Error('the second API exists only inside tests');
  return other.app;
};
const as = async (app: FastifyInstance, key: string, url = '/v1/jobs') =>
  (await app.inject({ method: 'GET', url, headers: { authorization: `Bearer ${key}` } }))
    .statusCode;
const admin = (app: FastifyInstance, method: 'POST' | 'DELETE', url: string) =>
  app.inject({
    method,
    url: `/v1/admin${url}`,
    headers: { authorization: `Bearer ${ADMIN_KEY}` },
    ...(method === 'POST' ? { payload: {} } : {}),
  });
/** A tenant of its own per test, with a key both processes have already let in (and kept). */
const freshTenant = async (id: string) => {
  const { store } = api().deps;
  await createTenant(store, id, id);
  const { key, keyId } = await createApiKey(store, id, 'k');
  expect(await as(first(), key)).toBe(200);
  expect(await as(second(), key)).toBe(200);
  expect(await as(first(), key)).toBe(200);
  expect(await as(second(), key)).toBe(200);
  return { key, keyId };
};
const waitFor = async (what: string, done: () => boolean) => {
  const until = Date.now() + 10_000;
  while (!done()) {
    if (Date.now() > until) throw new Error(`timed out waiting until ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
};

describe('API keys checked from memory', () => {
  it('refuses a key revoked through the admin API on the very next request, on both processes', async () => {
    const { key, keyId } = await freshTenant('rev-admin');
    expect((await admin(first(), 'DELETE', `/tenants/rev-admin/keys/${keyId}`)).statusCode).toBe(
      200,
    );
    expect(await as(second(), key)).toBe(401);
    expect(await as(first(), key)).toBe(401);
  });

  it('refuses a key revoked by another writer (the CLI) on the very next request, on both processes', async () => {
    const { key, keyId } = await freshTenant('rev-cli');
    await revokeApiKey(api().deps.store, 'rev-cli', keyId, 'cli');
    expect(await as(first(), key)).toBe(401);
    expect(await as(second(), key)).toBe(401);
  });

  it("refuses a disabled tenant's keys at once, and lets them in again once it is enabled", async () => {
    const { key } = await freshTenant('off');
    expect((await admin(second(), 'POST', '/tenants/off/disable')).statusCode).toBe(200);
    expect(await as(first(), key)).toBe(403);
    expect(await as(second(), key)).toBe(403);
    await enableTenant(api().deps.store, 'off', '', 'cli');
    expect(await as(first(), key)).toBe(200);
    expect(await as(second(), key)).toBe(200);
    await disableTenant(api().deps.store, 'off', '', 'cli');
    expect(await as(second(), key)).toBe(403);
    expect(await as(first(), key)).toBe(403);
  });

  it('never lets a wrong key in once the tenant is kept in memory', async () => {
    const { key } = await freshTenant('wrong');
    const [prefix, keyId, secret = ''] = key.split('.');
    // The same tenant and key id with another secret of the right shape.
    const flipped = `${secret[0] === 'A' ? 'B' : 'A'}${secret.slice(1)}`;
    expect(await as(first(), `${prefix}.${keyId}.${flipped}`)).toBe(401);
    expect(await as(second(), `${prefix}.${keyId}.${flipped}`)).toBe(401);
    // The right secret under another key id, or presented as another tenant's.
    expect(await as(first(), `${prefix}.000000000000.${secret}`)).toBe(401);
    expect(await as(first(), `ork_t2.${keyId}.${secret}`)).toBe(401);
    // And a key of another tenant reads only that tenant's jobs.
    expect(await as(first(), key)).toBe(200);
  });

  it('reads every request from the log while LISTEN is down, and keeps tenants again once it is back', async () => {
    const { key, keyId } = await freshTenant('outage');
    const cache = first().tenantKeys;
    const admin = new pg.Client({ connectionString: api().databaseUrl });
    await admin.connect();
    try {
      // Kill the first process's LISTEN connection (as a database restart or a network cut would).
      await admin.query(
        `select pg_terminate_backend(pid) from pg_stat_activity
         where application_name = 'orrery-api-tenant-keys' and pid in (
           select pid from pg_stat_activity where datname = current_database())`,
      );
      await waitFor('the cache notices its LISTEN connection is gone', () => !cache.listening);
      expect(await as(first(), key)).toBe(200);
      // A revocation it cannot hear: it still refuses the key, reading the tenant from the log.
      const { key: spare, keyId: spareId } = await createApiKey(api().deps.store, 'outage', 's');
      expect(await as(first(), spare)).toBe(200);
      await revokeApiKey(api().deps.store, 'outage', spareId, 'cli');
      expect(await as(first(), spare)).toBe(401);
      await waitFor('the cache listens again', () => cache.listening);
      expect(await as(first(), key)).toBe(200);
      await revokeApiKey(api().deps.store, 'outage', keyId, 'cli');
      expect(await as(first(), key)).toBe(401);
    } finally {
      await admin.end();
    }
  });
});
