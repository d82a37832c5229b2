import { defaultPlannerSettings } from '@orrery/domain';
import { describe, expect, it } from 'vitest';
import { useApiHarness } from '../test-support/api-harness.js';

const api = useApiHarness();

const list = async (query: string, key?: string) => {
  const answer = await api().request('GET', `/v1/jobs?${query}`, { key });
  expect(answer.status).toBe(200);
  return answer.body as { items: { id: string; planner: unknown }[]; nextCursor: string | null };
};

describe('GET /v1/jobs: a page of the read model', () => {
  it('shows each job as its single read does, whatever its planner settings', async () => {
    await api().request('POST', '/v1/jobs', { body: { id: 'plain', name: 'plain' } });
    await api().request('POST', '/v1/jobs', {
      body: { id: 'steered', name: 'steered', planner: { backend: 'claude', enabled: false } },
    });
    await api().request('POST', '/v1/jobs', { body: { id: 'held', name: 'held' } });
    await api().request('POST', '/v1/jobs/held/pause', { body: { reason: 'on hold' } });
    await api().catchUp();

    const { items } = await list('limit=200');
    expect(items.map((job) => job.id)).toEqual(['plain', 'steered', 'held']);
    for (const item of items) {
      expect(item).toEqual((await api().request('GET', `/v1/jobs/${item.id}`)).body);
    }
    expect(items[1]?.planner).not.toEqual(defaultPlannerSettings);
  });

  it('filters by status and pages by cursor', async () => {
    const key = api().keys.t2; // a tenant of its own
    for (const id of ['a', 'b', 'c', 'd']) {
      await api().request('POST', '/v1/jobs', { body: { id, name: id }, key });
    }
    await api().request('DELETE', '/v1/jobs/b', { key });
    await api().catchUp();

    expect((await list('status=archived', key)).items.map((job) => job.id)).toEqual(['b']);
    const first = await list('status=active&limit=2', key);
    expect(first.items.map((job) => job.id)).toEqual(['a', 'c']);
    expect(first.nextCursor).not.toBeNull();
    const second = await list(`status=active&limit=2&cursor=${first.nextCursor}`, key);
    expect(second.items.map((job) => job.id)).toEqual(['d']);
    expect(second.nextCursor).toBeNull();
  });

  it('shows the default settings for a row written before jobs had any', async () => {
    await api().request('POST', '/v1/jobs', {
      body: { id: 'old', name: 'old', planner: { enabled: false } },
    });
    await api().catchUp();
    await api()
      .deps.db.updateTable('jobs')
      .set({ planner: null })
      .where('job_id', '=', 'old')
      .execute();
    const { items } = await list('limit=200');
    expect(items.find((job) => job.id === 'old')?.planner).toEqual(defaultPlannerSettings);
  });
});
