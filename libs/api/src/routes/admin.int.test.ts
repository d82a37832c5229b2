import { describe, expect, it } from 'vitest';
import { ADMIN_KEY, useApiHarness } from '../test-support/api-harness.js';

const api = useApiHarness();
const admin = { key: ADMIN_KEY };

describe('admin: tenants and API keys', () => {
  it('creates a tenant and a key that works at once, and revokes it at once', async () => {
    const tenant = await api().request('POST', '/v1/admin/tenants', {
      ...admin,
      body: { id: 'acme', name: 'Acme' },
    });
    expect(tenant.status).toBe(201);
    const created = await api().request('POST', '/v1/admin/tenants/acme/keys', {
      ...admin,
      body: { name: 'ci' },
    });
    expect(created.status).toBe(201);
    const { key, keyId } = created.body as { key: string; keyId: string };
    expect(key).toMatch(/^ork_acme\./);

    expect((await api().request('GET', '/v1/jobs', { key })).status).toBe(200);
    const revoked = await api().request('DELETE', `/v1/admin/tenants/acme/keys/${keyId}`, admin);
    expect(revoked.body).toEqual({ keyId, revoked: true });
    const after = await api().request('GET', '/v1/jobs', { key });
    expect(after.status).toBe(401);
    expect(after.body.detail).toMatch(/revoked/);
  });

  it('stores only a hash of the key', async () => {
    await api().request('POST', '/v1/admin/tenants', {
      ...admin,
      body: { id: 'hashy', name: 'H' },
    });
    const { body } = await api().request('POST', '/v1/admin/tenants/hashy/keys', {
      ...admin,
      body: {},
    });
    const secret = (body.key as string).split('.')[2] ?? '';
    const events = await api().deps.store.readStream('tenant-hashy');
    expect(JSON.stringify(events)).not.toContain(secret);
    expect(events.map((e) => e.type)).toEqual(['TenantCreated', 'ApiKeyCreated']);
  });

  it('refuses tenant keys, no key, and a wrong admin key; validates ids', async () => {
    for (const key of [api().keys.t1, null, 'not-the-admin-key-but-long-enough']) {
      const response = await api().request('POST', '/v1/admin/tenants', {
        key,
        body: { id: 'x', name: 'x' },
      });
      expect(response.status).toBe(401);
      expect(response.body.type).toBe('/problems/unauthorized');
    }
    const bad = await api().request('POST', '/v1/admin/tenants', {
      ...admin,
      body: { id: 'Bad Id', name: 'x' },
    });
    expect(bad.status).toBe(400);
    expect(bad.body.errors[0].field).toBe('body.id');
    const twice = await api().request('POST', '/v1/admin/tenants', {
      ...admin,
      body: { id: 't1', name: 'again' },
    });
    expect(twice.status).toBe(409);
    const missing = await api().request('POST', '/v1/admin/tenants/nobody/keys', {
      ...admin,
      body: {},
    });
    expect(missing.status).toBe(404);
  });
});

describe('health', () => {
  it('answers liveness and readiness without a key, with the projection lag', async () => {
    expect((await api().request('GET', '/healthz', { key: null })).body).toEqual({ status: 'ok' });
    await api().catchUp();
    const ready = await api().request('GET', '/readyz', { key: null });
    expect(ready.status).toBe(200);
    expect(ready.body).toMatchObject({ status: 'ready', parked: 0 });
    expect(ready.body.processors).toContainEqual(
      expect.objectContaining({ name: 'scheduling', lag: 0 }),
    );
    expect(ready.body.head).toBeGreaterThan(0);
  });

  it('sends security headers', async () => {
    const response = await api().request('GET', '/healthz', { key: null });
    expect(response.headers['x-content-type-options']).toBe('nosniff');
    expect(response.headers['strict-transport-security']).toBeDefined();
  });
});
