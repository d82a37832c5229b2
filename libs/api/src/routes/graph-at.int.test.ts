import { describe, expect, it } from 'vitest';
import { useApiHarness } from '../test-support/api-harness.js';

const api = useApiHarness();

const endpoint = (id: string, extra: Record<string, unknown> = {}) => ({
  id,
  name: id,
  request: { url: `http://127.0.0.1:9/${id}` },
  baseline: { kind: 'interval', everyMs: 3_600_000 },
  ...extra,
});

type GraphBody = {
  nodes: { endpointId: string; inJob: boolean }[];
  edges: { edgeId: string; state: { gate: string | null } }[];
};

describe('GET /v1/graph without a job, and as of an earlier point (time travel)', () => {
  it("shows the tenant's whole graph now, and only what existed at a position", async () => {
    for (const job of ['ta-a', 'ta-b']) {
      const created = await api().request('POST', '/v1/jobs', { body: { id: job, name: job } });
      expect(created.status).toBe(201);
    }
    const add = (job: string, body: Record<string, unknown>) =>
      api().request('POST', `/v1/jobs/${job}/endpoints`, { body });
    expect((await add('ta-a', endpoint('ta-up'))).status).toBe(201);
    expect((await add('ta-b', endpoint('ta-lonely'))).status).toBe(201);
    await api().catchUp();
    const before = String(await api().deps.store.headPosition());
    const down = endpoint('ta-down', {
      dependsOn: [{ upstream: 'ta-up', name: 'up', mode: 'gate' }],
    });
    expect((await add('ta-b', down)).status).toBe(201);
    await api().catchUp();

    const now = await api().request('GET', '/v1/graph');
    expect(now.status).toBe(200);
    const live = now.body as GraphBody;
    expect(live.nodes.map((n) => n.endpointId)).toEqual(['ta-down', 'ta-lonely', 'ta-up']);
    expect(live.nodes.every((n) => n.inJob)).toBe(true);
    expect(live.edges.map((e) => [e.edgeId, e.state.gate])).toEqual([['ta-up.ta-down', 'closed']]);

    const then = await api().request('GET', `/v1/graph?at=${before}`);
    expect(then.status).toBe(200);
    const past = then.body as GraphBody;
    expect(past.nodes.map((n) => n.endpointId)).toEqual(['ta-lonely', 'ta-up']);
    expect(past.edges).toEqual([]);

    const jobThen = await api().request('GET', `/v1/graph?job=ta-b&at=${before}`);
    expect((jobThen.body as GraphBody).nodes.map((n) => n.endpointId)).toEqual(['ta-lonely']);
    const tooEarly = await api().request('GET', '/v1/graph?job=ta-b&at=1970-01-01T00:00:00Z');
    expect(tooEarly).toMatchObject({ status: 404, body: { type: '/problems/not-found' } });
    const wrong = await api().request('GET', '/v1/graph?at=yesterday');
    expect(wrong).toMatchObject({ status: 400, body: { type: '/problems/validation' } });
  });
});
