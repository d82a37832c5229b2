import { defaultPlannerSettings, jobStream } from '@orrery/domain';
import { describe, expect, it } from 'vitest';
import { useApiHarness } from '../test-support/api-harness.js';

const api = useApiHarness();

const defaults = defaultPlannerSettings;

describe("a job's planner settings", () => {
  it('are the defaults when the job is created without them', async () => {
    const created = await api().request('POST', '/v1/jobs', { body: { name: 'plain' } });
    expect(created.status).toBe(201);
    expect(created.body.planner).toEqual(defaults);
    const read = await api().request('GET', `/v1/jobs/${created.body.id}`);
    expect(read.body.planner).toEqual(defaults);
  });

  it('are kept as created, read back on GET, in the list and in the jobs read model', async () => {
    const planner = { backend: 'heuristic', policy: { antiThrash: { maxChanges: 2 } } };
    const created = await api().request('POST', '/v1/jobs', {
      body: { id: 'steered', name: 'steered', planner },
    });
    expect(created.status).toBe(201);
    const expected = {
      ...defaults,
      backend: 'heuristic',
      policy: { ...defaults.policy, antiThrash: { ...defaults.policy.antiThrash, maxChanges: 2 } },
    };
    expect(created.body.planner).toEqual(expected);
    expect((await api().request('GET', '/v1/jobs/steered')).body.planner).toEqual(expected);

    // The same create again is idempotent; other settings are a conflict naming the field.
    const again = await api().request('POST', '/v1/jobs', {
      body: { id: 'steered', name: 'steered', planner },
    });
    expect(again.status).toBe(200);
    const other = await api().request('POST', '/v1/jobs', {
      body: { id: 'steered', name: 'steered', planner: { enabled: false } },
    });
    expect(other.status).toBe(409);
    expect(other.body.detail).toMatch(/planner\.enabled/);

    await api().catchUp();
    const list = await api().request('GET', '/v1/jobs?limit=200');
    const listed = list.body.items.find((j: { id: string }) => j.id === 'steered');
    expect(listed.planner).toEqual(expected);
    // The planner service reads the settings from the jobs table.
    const row = await api()
      .deps.db.selectFrom('jobs')
      .select('planner')
      .where('tenant_id', '=', 't1')
      .where('job_id', '=', 'steered')
      .executeTakeFirstOrThrow();
    expect(row.planner).toEqual(expected);
  });

  it('PATCH lays the settings over the current ones, and one that changes nothing records nothing', async () => {
    await api().request('POST', '/v1/jobs', {
      body: { id: 'patched', name: 'patched', planner: { backend: 'claude' } },
    });
    const off = await api().request('PATCH', '/v1/jobs/patched', {
      body: { planner: { enabled: false } },
    });
    expect(off.status).toBe(200);
    expect(off.body.planner).toEqual({ ...defaults, enabled: false, backend: 'claude' });
    const budget = await api().request('PATCH', '/v1/jobs/patched', {
      body: { planner: { policy: { budget: { perJob: 50 } } } },
    });
    expect(budget.body.planner).toEqual({
      ...defaults,
      enabled: false,
      backend: 'claude',
      policy: { ...defaults.policy, budget: { ...defaults.policy.budget, perJob: 50 } },
    });
    expect(budget.body.name).toBe('patched');

    const stream = jobStream('t1', 'patched');
    const before = await api().deps.store.readStream(stream);
    const same = await api().request('PATCH', '/v1/jobs/patched', {
      body: { planner: { enabled: false, backend: 'claude' } },
    });
    expect(same.status).toBe(200);
    expect(await api().deps.store.readStream(stream)).toHaveLength(before.length);

    await api().catchUp();
    const row = await api()
      .deps.db.selectFrom('jobs')
      .select('planner')
      .where('tenant_id', '=', 't1')
      .where('job_id', '=', 'patched')
      .executeTakeFirstOrThrow();
    expect(row.planner).toEqual(budget.body.planner);
  });

  it('refuses bad settings with a 400 problem naming the field', async () => {
    const cases = [
      ['POST', '/v1/jobs', { name: 'bad', planner: { backend: 'gpt' } }, 'body.planner.backend'],
      [
        'POST',
        '/v1/jobs',
        { name: 'bad', planner: { policy: { antiThrash: { maxChanges: 0 } } } },
        'body.planner.policy.antiThrash.maxChanges',
      ],
      ['PATCH', '/v1/jobs/patched', { planner: { enabled: 'yes' } }, 'body.planner.enabled'],
      [
        'PATCH',
        '/v1/jobs/patched',
        { planner: { policy: { budget: { perEndpoint: -1 } } } },
        'body.planner.policy.budget.perEndpoint',
      ],
    ] as const;
    for (const [method, url, body, field] of cases) {
      const response = await api().request(method, url, { body });
      expect(response.status, JSON.stringify(body)).toBe(400);
      expect(response.headers['content-type']).toContain('application/problem+json');
      expect(response.body.errors.map((e: { field: string }) => e.field)).toContain(field);
    }
    const unknown = await api().request('PATCH', '/v1/jobs/patched', {
      body: { planner: { colour: 'red' } },
    });
    expect(unknown.status).toBe(400);
    expect(JSON.stringify(unknown.body.errors)).toContain('colour');
  });
});
