import { tenantStream } from '@orrery/domain';
import { describe, expect, it } from 'vitest';
import { createApiKey, createTenant } from '../tenants.js';
import { ADMIN_KEY, useApiHarness } from '../test-support/api-harness.js';

const api = useApiHarness();
const admin = { key: ADMIN_KEY };
const typesIn = async (tenantId: string) =>
  (await api().deps.store.readStream(tenantStream(tenantId))).map((event) => event.type);

describe('admin: listing and showing tenants', () => {
  it('lists every tenant oldest first with its status, a page at a time', async () => {
    await createTenant(api().deps.store, 'acme', 'Acme');
    const first = await api().request('GET', '/v1/admin/tenants?limit=2', admin);
    expect(first.status).toBe(200);
    expect(first.body.items).toEqual([
      { id: 't1', name: 'Tenant one', status: 'active', createdAt: expect.any(String) },
      { id: 't2', name: 'Tenant two', status: 'active', createdAt: expect.any(String) },
    ]);
    const rest = await api().request(
      'GET',
      `/v1/admin/tenants?limit=2&cursor=${first.body.nextCursor}`,
      admin,
    );
    expect(rest.body.items.map((t: { id: string }) => t.id)).toContain('acme');
    expect(rest.body.items.map((t: { id: string }) => t.id)).not.toContain('t1');
  });

  it('shows a tenant with its keys by id and name, never a key or its hash', async () => {
    const shown = await api().request('GET', '/v1/admin/tenants/t1', admin);
    expect(shown.status).toBe(200);
    const [, revokedId] = api().keys.revoked.split('.');
    expect(shown.body).toMatchObject({ id: 't1', name: 'Tenant one', status: 'active' });
    expect(shown.body.disabled).toBeNull();
    expect(shown.body.keys).toEqual([
      {
        id: api().keys.t1.split('.')[1],
        name: 'test',
        createdAt: expect.any(String),
        revoked: false,
        revokedAt: null,
      },
      {
        id: revokedId,
        name: 'old',
        createdAt: expect.any(String),
        revoked: true,
        revokedAt: expect.any(String),
      },
    ]);
    const hashes = (await api().deps.store.readStream(tenantStream('t1'))).flatMap((event) =>
      event.type === 'ApiKeyCreated' ? [event.data.secretHash] : [],
    );
    for (const hash of hashes) expect(JSON.stringify(shown.body)).not.toContain(hash);
    expect(JSON.stringify(shown.body)).not.toContain(api().keys.t1.split('.')[2]);
  });

  it('answers 404 for an unknown tenant, 400 naming a bad id, 401 without the admin key', async () => {
    expect((await api().request('GET', '/v1/admin/tenants/nobody', admin)).status).toBe(404);
    const bad = await api().request('POST', '/v1/admin/tenants/Bad!/disable', admin);
    expect(bad.status).toBe(400);
    expect(bad.body.errors[0].field).toBe('params.tenantId');
    for (const url of ['/v1/admin/tenants', '/v1/admin/tenants/t1']) {
      const refused = await api().request('GET', url, { key: api().keys.t1 });
      expect(refused.status, url).toBe(401);
    }
    expect((await api().request('POST', '/v1/admin/tenants/t1/disable', {})).status).toBe(401);
    expect((await api().request('GET', '/v1/jobs')).status).toBe(200);
  });
});

describe('admin: disabling and enabling a tenant', () => {
  it("stops a disabled tenant's endpoints with one event, and runs them again once enabled", async () => {
    const { store, db } = api().deps;
    await createTenant(store, 'paused-co', 'Paused Co');
    const { key } = await createApiKey(store, 'paused-co', 'a');
    const as = { key };
    await api().request('POST', '/v1/jobs', { ...as, body: { id: 'nightly', name: 'nightly' } });
    for (const id of ['a', 'b']) {
      const created = await api().request('POST', '/v1/jobs/nightly/endpoints', {
        ...as,
        body: {
          id,
          name: id,
          request: { url: 'http://127.0.0.1:9/' },
          baseline: { kind: 'interval', everyMs: 60_000 },
        },
      });
      expect(created.status).toBe(201);
    }
    const rows = async () => {
      await api().catchUp();
      return db
        .selectFrom('schedule')
        .select(['endpoint_id', 'next_run_at', 'reason'])
        .where('tenant_id', '=', 'paused-co')
        .orderBy('endpoint_id')
        .execute();
    };
    expect((await rows()).map((r) => r.reason)).toEqual(['first_run', 'first_run']);

    await api().request('POST', '/v1/admin/tenants/paused-co/disable', { ...admin, body: {} });
    const held = await rows();
    expect(held.map((r) => [r.reason, r.next_run_at])).toEqual([
      ['tenant_disabled', null],
      ['tenant_disabled', null],
    ]);
    // One event on the tenant's stream; none on its endpoints'.
    expect(await typesIn('paused-co')).toContain('TenantDisabled');
    expect((await store.readStream('endpoint-paused-co.a')).map((e) => e.type)).toEqual([
      'EndpointRegistered',
    ]);

    await api().request('POST', '/v1/admin/tenants/paused-co/enable', admin);
    expect((await rows()).map((r) => r.reason)).toEqual(['first_run', 'first_run']);
  });

  it('refuses every key of a disabled tenant at once, serves other tenants, and lets it back in', async () => {
    const { store } = api().deps;
    await createTenant(store, 'late-payer', 'Late Payer');
    const keys = [(await createApiKey(store, 'late-payer', 'a')).key];
    keys.push((await createApiKey(store, 'late-payer', 'b')).key);
    for (const key of keys)
      expect((await api().request('GET', '/v1/jobs', { key })).status).toBe(200);

    const disabled = await api().request('POST', '/v1/admin/tenants/late-payer/disable', {
      ...admin,
      body: { reason: 'invoice unpaid' },
    });
    expect(disabled.status).toBe(200);
    expect(disabled.body).toMatchObject({
      id: 'late-payer',
      status: 'disabled',
      disabled: { reason: 'invoice unpaid', actor: { kind: 'system', id: 'admin' } },
    });
    expect(Date.parse(disabled.body.disabled.since)).toBeGreaterThan(0);

    for (const key of keys) {
      const refused = await api().request('GET', '/v1/jobs', { key });
      expect(refused.status).toBe(403);
      expect(refused.headers['content-type']).toContain('application/problem+json');
      expect(refused.body).toMatchObject({ type: '/problems/forbidden', status: 403 });
      expect(refused.body.detail).toMatch(/tenant late-payer is disabled/);
    }
    expect((await api().request('GET', '/v1/jobs', { key: api().keys.t2 })).status).toBe(200);
    const listed = await api().request('GET', '/v1/admin/tenants', admin);
    expect(listed.body.items).toContainEqual(
      expect.objectContaining({ id: 'late-payer', status: 'disabled' }),
    );

    // Disabling again changes nothing; the first reason stays.
    const again = await api().request('POST', '/v1/admin/tenants/late-payer/disable', {
      ...admin,
      body: { reason: 'twice' },
    });
    expect(again.body.disabled.reason).toBe('invoice unpaid');

    const enabled = await api().request('POST', '/v1/admin/tenants/late-payer/enable', admin);
    expect(enabled.status).toBe(200);
    expect(enabled.body).toMatchObject({ status: 'active', disabled: null });
    for (const key of keys)
      expect((await api().request('GET', '/v1/jobs', { key })).status).toBe(200);
    expect(await typesIn('late-payer')).toEqual([
      'TenantCreated',
      'ApiKeyCreated',
      'ApiKeyCreated',
      'TenantDisabled',
      'TenantEnabled',
    ]);
  });

  it('still refuses a revoked key of a disabled tenant as revoked (401)', async () => {
    await api().request('POST', '/v1/admin/tenants/t1/disable', admin);
    try {
      const revoked = await api().request('GET', '/v1/jobs', { key: api().keys.revoked });
      expect(revoked.status).toBe(401);
      expect(revoked.body.detail).toMatch(/revoked/);
    } finally {
      await api().request('POST', '/v1/admin/tenants/t1/enable', admin);
    }
  });

  it('answers 404 when disabling or enabling a tenant that does not exist', async () => {
    for (const verb of ['disable', 'enable']) {
      const response = await api().request('POST', `/v1/admin/tenants/ghost/${verb}`, admin);
      expect(response.status, verb).toBe(404);
    }
  });
});
