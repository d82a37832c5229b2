import { describe, expect, it } from 'vitest';
import { useApiHarness } from '../test-support/api-harness.js';

const api = useApiHarness();

describe('jobs', () => {
  it('creates, reads, updates and lists jobs with cursor pagination', async () => {
    const created = await api().request('POST', '/v1/jobs', {
      body: { name: 'billing', description: 'invoices' },
    });
    expect(created.status).toBe(201);
    expect(created.body).toMatchObject({
      name: 'billing',
      description: 'invoices',
      status: 'active',
      paused: null,
    });
    const id = created.body.id as string;

    const updated = await api().request('PATCH', `/v1/jobs/${id}`, {
      body: { name: 'billing v2' },
    });
    expect(updated.status).toBe(200);
    expect(updated.body).toMatchObject({ id, name: 'billing v2', description: 'invoices' });

    for (const name of ['a', 'b', 'c']) await api().request('POST', '/v1/jobs', { body: { name } });
    await api().catchUp();
    const first = await api().request('GET', '/v1/jobs?limit=2');
    expect(first.status).toBe(200);
    expect(first.body.items.map((j: { name: string }) => j.name)).toEqual(['billing v2', 'a']);
    const second = await api().request('GET', `/v1/jobs?limit=2&cursor=${first.body.nextCursor}`);
    expect(second.body.items.map((j: { name: string }) => j.name)).toEqual(['b', 'c']);
    expect(second.body.nextCursor).toBeNull();
  });

  it('rejects unknown fields and bad values with problem JSON naming the field', async () => {
    const response = await api().request('POST', '/v1/jobs', {
      body: { name: 'x', colour: 'red' },
    });
    expect(response.status).toBe(400);
    expect(response.headers['content-type']).toContain('application/problem+json');
    expect(response.body.type).toBe('/problems/validation');
    expect(JSON.stringify(response.body.errors)).toContain('colour');
    const empty = await api().request('POST', '/v1/jobs', { body: { name: '' } });
    expect(empty.body.errors[0].field).toBe('body.name');
  });

  it("answers 404 for another tenant's job, never its data", async () => {
    const created = await api().request('POST', '/v1/jobs', { body: { name: 'secret job' } });
    const id = created.body.id as string;
    for (const [method, url, body] of [
      ['GET', `/v1/jobs/${id}`, undefined],
      ['PATCH', `/v1/jobs/${id}`, { name: 'mine now' }],
      ['POST', `/v1/jobs/${id}/pause`, {}],
      ['DELETE', `/v1/jobs/${id}`, undefined],
    ] as const) {
      const response = await api().request(method, url, { key: api().keys.t2, body });
      expect(response.status).toBe(404);
      expect(JSON.stringify(response.body)).not.toContain('secret job');
    }
    await api().catchUp();
    const list = await api().request('GET', '/v1/jobs', { key: api().keys.t2 });
    expect(list.body.items).toEqual([]);
  });

  it('pauses, resumes and archives a job', async () => {
    const { body: job } = await api().request('POST', '/v1/jobs', { body: { name: 'p' } });
    const paused = await api().request('POST', `/v1/jobs/${job.id}/pause`, {
      body: { reason: 'freeze' },
    });
    expect(paused.body.paused).toEqual({ until: null, reason: 'freeze' });
    const resumed = await api().request('POST', `/v1/jobs/${job.id}/resume`, { body: {} });
    expect(resumed.body.paused).toBeNull();
    const archived = await api().request('DELETE', `/v1/jobs/${job.id}`);
    expect(archived.body.status).toBe('archived');
    expect(
      (await api().request('PATCH', `/v1/jobs/${job.id}`, { body: { name: 'z' } })).status,
    ).toBe(409);
  });
});

describe('authentication', () => {
  it('refuses a missing, malformed, unknown or revoked key with 401 problem JSON', async () => {
    const cases = [null, 'nonsense', `ork_t1.000000000000.${'a'.repeat(43)}`, api().keys.revoked];
    for (const key of cases) {
      const response = await api().request('GET', '/v1/jobs', { key });
      expect(response.status).toBe(401);
      expect(response.body.type).toBe('/problems/unauthorized');
    }
    const revoked = await api().request('GET', '/v1/jobs', { key: api().keys.revoked });
    expect(revoked.body.detail).toMatch(/revoked/);
  });
});
