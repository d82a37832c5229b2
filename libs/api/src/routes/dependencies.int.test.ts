import {
  edgeOf,
  endpointStream,
  graphDecider,
  graphStream,
  makeEvent,
  type CascadeContext,
  type EventMetadata,
} from '@orrery/domain';
import { describe, expect, it } from 'vitest';
import {
  CompanionMoved,
  replaceDependencies,
  type Companion,
} from '../dependencies/graph-commands.js';
import { useApiHarness } from '../test-support/api-harness.js';

const api = useApiHarness();

const endpoint = (id: string, extra: Record<string, unknown> = {}) => ({
  id,
  name: id,
  request: { url: `http://127.0.0.1:9/${id}` },
  baseline: { kind: 'interval', everyMs: 3_600_000 },
  ...extra,
});

async function newJob(id: string, key = api().keys.t1): Promise<string> {
  const response = await api().request('POST', '/v1/jobs', { key, body: { id, name: id } });
  expect(response.status).toBe(201);
  return id;
}

async function newEndpoints(jobId: string, ids: readonly string[], key = api().keys.t1) {
  for (const id of ids) {
    const url = `/v1/jobs/${jobId}/endpoints`;
    const response = await api().request('POST', url, { key, body: endpoint(id) });
    expect(response.status, JSON.stringify(response.body)).toBe(201);
  }
}

const declare = (body: Record<string, unknown>, key = api().keys.t1) =>
  api().request('POST', '/v1/dependencies', { key, body });

/** Whether the tenant's graph, as its stream holds it, has no cycle (Kahn's algorithm). */
async function graphIsAcyclic(tenantId: string): Promise<boolean> {
  const events = await api().deps.store.readStream(graphStream(tenantId));
  const edges = Object.values(
    events.reduce(graphDecider.evolve, graphDecider.initialState()).edges,
  );
  const indegree = new Map<string, number>();
  for (const e of edges) {
    indegree.set(e.upstreamEndpointId, indegree.get(e.upstreamEndpointId) ?? 0);
    indegree.set(e.downstreamEndpointId, (indegree.get(e.downstreamEndpointId) ?? 0) + 1);
  }
  const ready = [...indegree].filter(([, n]) => n === 0).map(([id]) => id);
  let peeled = 0;
  for (let id = ready.pop(); id !== undefined; id = ready.pop()) {
    peeled++;
    for (const e of edges.filter((x) => x.upstreamEndpointId === id)) {
      const left = (indegree.get(e.downstreamEndpointId) ?? 0) - 1;
      indegree.set(e.downstreamEndpointId, left);
      if (left === 0) ready.push(e.downstreamEndpointId);
    }
  }
  return peeled === indegree.size;
}

describe('dependencies', () => {
  it('declares, lists, reads and removes an edge; the same edge again changes nothing', async () => {
    const job = await newJob('crud');
    await newEndpoints(job, ['crud-extract', 'crud-load', 'crud-report']);
    const created = await declare({
      downstream: 'crud-load',
      upstream: 'crud-extract',
      condition: 'status == 200',
    });
    expect(created.status).toBe(201);
    expect(created.body).toEqual({
      edgeId: 'crud-extract.crud-load',
      name: 'crud_extract',
      upstreamEndpointId: 'crud-extract',
      downstreamEndpointId: 'crud-load',
      condition: 'status == 200',
      mode: 'trigger',
      freshness: { kind: 'since_last_run' },
    });
    const again = await declare({
      downstream: 'crud-load',
      upstream: 'crud-extract',
      condition: 'status == 200',
    });
    expect(again.status).toBe(200);
    const gate = { downstream: 'crud-report', upstream: 'crud-load', mode: 'gate' };
    expect((await declare(gate)).status).toBe(201);

    const all = await api().request('GET', '/v1/dependencies');
    expect(all.body.items.map((e: { edgeId: string }) => e.edgeId)).toEqual([
      'crud-extract.crud-load',
      'crud-load.crud-report',
    ]);
    const first = await api().request('GET', '/v1/dependencies?limit=1');
    expect(first.body.items).toHaveLength(1);
    const second = await api().request(
      'GET',
      `/v1/dependencies?limit=1&cursor=${first.body.nextCursor}`,
    );
    expect(second.body).toMatchObject({
      items: [{ edgeId: 'crud-load.crud-report' }],
      nextCursor: null,
    });
    const into = await api().request('GET', '/v1/dependencies?downstream=crud-report');
    expect(into.body.items).toEqual([expect.objectContaining({ mode: 'gate' })]);

    const one = await api().request('GET', '/v1/dependencies/crud-extract.crud-load');
    expect(one.body).toEqual(created.body);
    // The edge is on the downstream's stream too: its endpoint shows it.
    const load = await api().request('GET', '/v1/endpoints/crud-load');
    expect(load.body.dependsOn).toEqual([created.body]);

    const removed = await api().request('DELETE', '/v1/dependencies/crud-extract.crud-load');
    expect(removed.status).toBe(204);
    expect((await api().request('GET', '/v1/dependencies/crud-extract.crud-load')).status).toBe(
      404,
    );
    expect((await api().request('GET', '/v1/endpoints/crud-load')).body.dependsOn).toEqual([]);
    const gone = await api().request('DELETE', '/v1/dependencies/crud-extract.crud-load');
    expect(gone).toMatchObject({ status: 404, body: { type: '/problems/not-found' } });
  });

  it('refuses an edge that closes a cycle, naming its path', async () => {
    const job = await newJob('cycle');
    await newEndpoints(job, ['cy-a', 'cy-b', 'cy-c']);
    expect((await declare({ downstream: 'cy-b', upstream: 'cy-a' })).status).toBe(201);
    expect((await declare({ downstream: 'cy-c', upstream: 'cy-b' })).status).toBe(201);
    const refused = await declare({ downstream: 'cy-a', upstream: 'cy-c' });
    expect(refused.status).toBe(422);
    expect(refused.headers['content-type']).toContain('application/problem+json');
    expect(refused.body).toMatchObject({
      type: '/problems/unprocessable',
      status: 422,
      detail: 'the edge would close a cycle: cy-c → cy-a → cy-b → cy-c',
      errors: [{ field: 'body.upstream' }],
    });
    const self = await declare({ downstream: 'cy-a', upstream: 'cy-a' });
    expect(self).toMatchObject({ status: 422, body: { detail: expect.stringMatching(/itself/) } });
  });

  it('refuses a condition that does not compile, with its position', async () => {
    const job = await newJob('cond');
    await newEndpoints(job, ['co-a', 'co-b']);
    const refused = await declare({
      downstream: 'co-b',
      upstream: 'co-a',
      condition: 'status == 200 &&',
    });
    expect(refused.status).toBe(422);
    expect(refused.body).toMatchObject({
      type: '/problems/unprocessable',
      detail: expect.stringMatching(/at position \d+/),
      errors: [{ field: 'body.condition' }],
    });
    const notBool = await declare({ downstream: 'co-b', upstream: 'co-a', condition: 'status' });
    expect(notBool.status).toBe(422);
  });

  it('answers 404 naming an unknown or archived end', async () => {
    const job = await newJob('missing');
    await newEndpoints(job, ['mi-a', 'mi-gone']);
    const unknown = await declare({ downstream: 'mi-a', upstream: 'mi-nope' });
    expect(unknown).toMatchObject({
      status: 404,
      body: { detail: 'upstream endpoint mi-nope not found' },
    });
    const noDownstream = await declare({ downstream: 'mi-nope', upstream: 'mi-a' });
    expect(noDownstream.body.detail).toBe('downstream endpoint mi-nope not found');
    await api().request('DELETE', '/v1/endpoints/mi-gone');
    const archived = await declare({ downstream: 'mi-a', upstream: 'mi-gone' });
    expect(archived).toMatchObject({
      status: 404,
      body: { detail: 'upstream endpoint mi-gone is archived' },
    });
  });

  it('never accepts both of two concurrent declarations that would close a cycle', async () => {
    const job = await newJob('race');
    for (let i = 0; i < 20; i++) {
      const [a, b] = [`race-a${i}`, `race-b${i}`];
      await newEndpoints(job, [a, b]);
      const answers = await Promise.all([
        declare({ downstream: b, upstream: a }),
        declare({ downstream: a, upstream: b }),
      ]);
      const statuses = answers.map((answer) => answer.status).sort();
      expect(statuses, JSON.stringify(answers.map((x) => x.body))).toEqual([201, 422]);
      const listed = await api().request('GET', `/v1/dependencies?upstream=${a}`);
      const back = await api().request('GET', `/v1/dependencies?upstream=${b}`);
      expect(listed.body.items.length + back.body.items.length).toBe(1);
    }
    expect(await graphIsAcyclic('t1')).toBe(true);
  });

  it("isolates tenants: another tenant's endpoints and edges do not exist for it", async () => {
    const job = await newJob('iso');
    await newEndpoints(job, ['iso-a', 'iso-b']);
    expect((await declare({ downstream: 'iso-b', upstream: 'iso-a' })).status).toBe(201);
    const t2 = api().keys.t2;
    await newJob('iso-t2', t2);
    await newEndpoints('iso-t2', ['iso-mine'], t2);
    const across = await declare({ downstream: 'iso-mine', upstream: 'iso-a' }, t2);
    expect(across).toMatchObject({ status: 404, body: { detail: expect.stringMatching(/iso-a/) } });
    expect((await declare({ downstream: 'iso-b', upstream: 'iso-a' }, t2)).status).toBe(404);
    const listed = await api().request('GET', '/v1/dependencies', { key: t2 });
    expect(listed.body.items).toEqual([]);
    for (const [method, url] of [
      ['GET', '/v1/dependencies/iso-a.iso-b'],
      ['DELETE', '/v1/dependencies/iso-a.iso-b'],
      ['GET', '/v1/graph?job=iso'],
      ['GET', '/v1/dependencies?job=iso'],
    ] as const) {
      const response = await api().request(method, url, { key: t2 });
      expect(response.status, `${method} ${url}`).toBe(404);
    }
    expect((await api().request('GET', '/v1/dependencies/iso-a.iso-b')).status).toBe(200);
  });

  it("refuses removing an edge the downstream's fan-in still names", async () => {
    const job = await newJob('fanin');
    await newEndpoints(job, ['fi-extract', 'fi-load']);
    const url = `/v1/jobs/${job}/endpoints`;
    const created = await api().request('POST', url, {
      body: endpoint('fi-report', {
        fanIn: { combine: 'extract && load' },
        dependsOn: [
          { upstream: 'fi-extract', name: 'extract' },
          { upstream: 'fi-load', name: 'load' },
        ],
      }),
    });
    expect(created.status, JSON.stringify(created.body)).toBe(201);
    const refused = await api().request('DELETE', '/v1/dependencies/fi-load.fi-report');
    expect(refused).toMatchObject({
      status: 422,
      body: { detail: expect.stringMatching(/fan-in of fi-report/) },
    });
    const renamed = await declare({ downstream: 'fi-report', upstream: 'fi-load', name: 'l' });
    expect(renamed.status).toBe(422);
  });
});

describe('dependsOn on an endpoint', () => {
  it('registers the endpoint with its edges, and shows them', async () => {
    const job = await newJob('deps-create');
    await newEndpoints(job, ['dc-a', 'dc-b']);
    const created = await api().request('POST', `/v1/jobs/${job}/endpoints`, {
      body: endpoint('dc-c', {
        dependsOn: [
          { upstream: 'dc-b', mode: 'gate', freshness: { kind: 'duration', ms: 60_000 } },
          { upstream: 'dc-a', name: 'first', condition: 'ok && body.rows > 0' },
        ],
      }),
    });
    expect(created.status, JSON.stringify(created.body)).toBe(201);
    expect(created.body.dependsOn.map((e: { edgeId: string }) => e.edgeId)).toEqual([
      'dc-b.dc-c',
      'dc-a.dc-c',
    ]);
    const listed = await api().request('GET', '/v1/dependencies?downstream=dc-c');
    expect(listed.body.items).toHaveLength(2);
    // A retry of the same create changes nothing.
    const retried = await api().request('POST', `/v1/jobs/${job}/endpoints`, {
      body: endpoint('dc-c', {
        dependsOn: [
          { upstream: 'dc-b', mode: 'gate', freshness: { kind: 'duration', ms: 60_000 } },
          { upstream: 'dc-a', name: 'first', condition: 'ok && body.rows > 0' },
        ],
      }),
    });
    expect(retried.status).toBe(200);
    expect(retried.body.dependsOn).toEqual(created.body.dependsOn);
  });

  it('registers the endpoint and declares its edges in one append: it never exists ungated', async () => {
    const job = await newJob('deps-atomic');
    await newEndpoints(job, ['da-monitor']);
    const created = await api().request('POST', `/v1/jobs/${job}/endpoints`, {
      body: endpoint('da-low', {
        start: { kind: 'immediately' },
        dependsOn: [{ upstream: 'da-monitor', mode: 'gate', condition: 'ok' }],
      }),
    });
    expect(created.status, JSON.stringify(created.body)).toBe(201);
    const { store } = api().deps;
    const events = await store.readStream(endpointStream('t1', 'da-low'));
    expect(events.map((e) => e.type)).toEqual(['EndpointRegistered', 'DependencyDeclared']);
    // One transaction's positions are consecutive: the graph's decision, the registration, the
    // endpoint's copy of the edge. No dispatcher can have decided on the endpoint in between.
    const [declaredOnGraph] = (await store.readStream(graphStream('t1'))).filter(
      (e) => e.type === 'DependencyDeclared' && e.data.downstreamEndpointId === 'da-low',
    );
    expect([declaredOnGraph?.position, ...events.map((e) => e.position)]).toEqual([
      events[0]!.position - 1,
      events[0]!.position,
      events[0]!.position + 1,
    ]);
  });

  it('answers concurrent creates of one endpoint with its edges once: one 201, the rest 200', async () => {
    const job = await newJob('deps-race');
    await newEndpoints(job, ['dx-up']);
    const body = endpoint('dx-down', { dependsOn: [{ upstream: 'dx-up', mode: 'gate' }] });
    const answers = await Promise.all(
      Array.from({ length: 4 }, () => api().request('POST', `/v1/jobs/${job}/endpoints`, { body })),
    );
    expect(answers.map((a) => a.status).sort()).toEqual([200, 200, 200, 201]);
    for (const answer of answers) {
      expect(answer.body.dependsOn.map((e: { edgeId: string }) => e.edgeId)).toEqual([
        'dx-up.dx-down',
      ]);
    }
    const events = await api().deps.store.readStream(endpointStream('t1', 'dx-down'));
    expect(events.map((e) => e.type)).toEqual(['EndpointRegistered', 'DependencyDeclared']);
  });

  it('appends nothing of a graph decision whose companion append finds its stream moved', async () => {
    const job = await newJob('deps-moved');
    await newEndpoints(job, ['dm-up', 'dm-down']);
    const { deps } = api();
    const metadata: EventMetadata = { tenantId: 't1', actor: { kind: 'user', id: 'test' } };
    const graphBefore = await deps.store.readStream(graphStream('t1'));
    const stream = endpointStream('t1', 'dm-down');
    // A decision taken on a stale version of the endpoint: it is at 1, not 0.
    const companion: Companion = {
      request: {
        streamId: stream,
        expectedVersion: 0,
        events: [makeEvent('Resumed', { reason: 'x' }, metadata)],
      },
    };
    const edges = [edgeOf('dm-down', { upstream: 'dm-up' })];
    const config = {
      request: { method: 'GET', url: 'http://127.0.0.1:9/dm-down', headers: {} },
    } as const;
    await expect(
      replaceDependencies(deps, 't1', 'dm-down', edges, config, metadata, { companion }),
    ).rejects.toBeInstanceOf(CompanionMoved);
    expect(companion.outcome).toMatchObject({ streamId: stream, expected: 0, actual: 1 });
    expect(await deps.store.readStream(graphStream('t1'))).toHaveLength(graphBefore.length);
    expect((await deps.store.readStream(stream)).map((e) => e.type)).toEqual([
      'EndpointRegistered',
    ]);
  });

  it('registers nothing when an edge is refused', async () => {
    const job = await newJob('deps-refused');
    await newEndpoints(job, ['dr-a']);
    const url = `/v1/jobs/${job}/endpoints`;
    const cycle = await api().request('POST', url, {
      body: endpoint('dr-a2', { dependsOn: [{ upstream: 'dr-a2' }] }),
    });
    expect(cycle).toMatchObject({
      status: 422,
      body: { errors: [{ field: 'body.dependsOn.0.upstream' }] },
    });
    const condition = await api().request('POST', url, {
      body: endpoint('dr-b', {
        dependsOn: [{ upstream: 'dr-a' }, { upstream: 'dr-a', name: 'twice' }],
      }),
    });
    expect(condition).toMatchObject({
      status: 422,
      body: { errors: [{ field: 'body.dependsOn.1.upstream' }] },
    });
    const bad = await api().request('POST', url, {
      body: endpoint('dr-c', { dependsOn: [{ upstream: 'dr-a', condition: '1 +' }] }),
    });
    expect(bad).toMatchObject({
      status: 422,
      body: { errors: [{ field: 'body.dependsOn.0.condition' }] },
    });
    const unknown = await api().request('POST', url, {
      body: endpoint('dr-d', { dependsOn: [{ upstream: 'dr-nope' }] }),
    });
    expect(unknown.status).toBe(404);
    const fanIn = await api().request('POST', url, {
      body: endpoint('dr-e', {
        fanIn: { combine: 'a && nope' },
        dependsOn: [{ upstream: 'dr-a', name: 'a' }],
      }),
    });
    expect(fanIn).toMatchObject({
      status: 422,
      body: { errors: [{ field: 'body.fanIn.combine' }] },
    });
    const template = await api().request('POST', url, {
      body: endpoint('dr-f', {
        request: {
          method: 'POST',
          url: 'http://127.0.0.1:9/load',
          body: '{"batch": "{{ upstream.extract.body.batch_id }}"}',
        },
        dependsOn: [{ upstream: 'dr-a', name: 'extracted' }],
      }),
    });
    expect(template).toMatchObject({
      status: 422,
      body: {
        detail: expect.stringMatching(/unknown edge "extract"/),
        errors: [{ field: 'body.request.body' }],
      },
    });
    for (const id of ['dr-a2', 'dr-b', 'dr-c', 'dr-d', 'dr-e', 'dr-f']) {
      expect((await api().request('GET', `/v1/endpoints/${id}`)).status, id).toBe(404);
      expect(await api().deps.store.readStream(endpointStream('t1', id))).toEqual([]);
    }
    expect((await api().request('GET', '/v1/dependencies?downstream=dr-b')).body.items).toEqual([]);
  });

  it('replaces the incoming edges on an update, leaving them alone without dependsOn', async () => {
    const job = await newJob('deps-update');
    await newEndpoints(job, ['du-a', 'du-b', 'du-c', 'du-d']);
    const ids = async () =>
      (await api().request('GET', '/v1/endpoints/du-d')).body.dependsOn.map(
        (e: { edgeId: string }) => e.edgeId,
      );
    const patch = (body: Record<string, unknown>) =>
      api().request('PATCH', '/v1/endpoints/du-d', { body });
    expect((await patch({ dependsOn: [{ upstream: 'du-a' }, { upstream: 'du-b' }] })).status).toBe(
      200,
    );
    expect(await ids()).toEqual(['du-a.du-d', 'du-b.du-d']);
    const updated = await patch({
      name: 'renamed',
      dependsOn: [{ upstream: 'du-b', mode: 'gate' }, { upstream: 'du-c' }],
    });
    expect(updated.status).toBe(200);
    expect(updated.body).toMatchObject({ config: { name: 'renamed' } });
    expect(updated.body.dependsOn).toMatchObject([
      { edgeId: 'du-b.du-d', mode: 'gate' },
      { edgeId: 'du-c.du-d', mode: 'trigger' },
    ]);
    expect((await patch({ description: 'edges kept' })).status).toBe(200);
    expect(await ids()).toEqual(['du-b.du-d', 'du-c.du-d']);
    // du-d → du-a, then du-a may not depend on du-d.
    await declare({ downstream: 'du-a', upstream: 'du-d' });
    const refused = await patch({ dependsOn: [{ upstream: 'du-a' }] });
    expect(refused).toMatchObject({
      status: 422,
      body: { detail: expect.stringMatching(/du-a → du-d → du-a/) },
    });
    expect(await ids()).toEqual(['du-b.du-d', 'du-c.du-d']);
    expect((await patch({ dependsOn: [] })).status).toBe(200);
    expect(await ids()).toEqual([]);
  });
});

describe('the graph view (GET /v1/graph)', () => {
  const meta: EventMetadata = { tenantId: 't1', actor: { kind: 'system', id: 'test' } };
  const cascade = (root: string): CascadeContext => ({ root, depth: 0, chain: ['gv-up'] });
  const observed = (edgeId: string, runId: string, satisfied: boolean, at: number) =>
    makeEvent(
      'UpstreamObserved',
      {
        edgeId,
        response: {
          endpointId: edgeId.split('.')[0] ?? '',
          runId,
          position: 1,
          respondedAt: new Date(at).toISOString(),
          status: satisfied ? 200 : 500,
          ok: satisfied,
        },
        satisfied,
        correlation: null,
        cascade: cascade(runId),
      },
      meta,
    );

  it("shows the job's endpoints, the other jobs' ends of their edges, and each edge's state", async () => {
    await newJob('gv-other');
    await newEndpoints('gv-other', ['gv-up', 'gv-unrelated']);
    const job = await newJob('gv');
    await newEndpoints(job, ['gv-gate-ok', 'gv-gate-shut', 'gv-alone']);
    const created = await api().request('POST', `/v1/jobs/${job}/endpoints`, {
      body: endpoint('gv-down', {
        baseline: { kind: 'none' },
        dependsOn: [{ upstream: 'gv-up', name: 'up', onUpstreamFailure: { afterFailures: 2 } }],
      }),
    });
    expect(created.status).toBe(201);
    for (const [downstream, name] of [
      ['gv-gate-ok', 'ok'],
      ['gv-gate-shut', 'shut'],
    ] as const) {
      const body = {
        downstream,
        upstream: 'gv-up',
        name,
        mode: 'gate',
        freshness: { kind: 'duration', ms: 3_600_000 },
      };
      expect((await declare(body)).status).toBe(201);
    }
    const now = Date.now();
    const { store } = api().deps;
    const append = (id: string, events: Parameters<typeof store.append>[1]) =>
      store.append(endpointStream('t1', id), events, { expectedVersion: 'any' });
    await append('gv-gate-ok', [observed('gv-up.gv-gate-ok', 'r1', true, now - 1_000)]);
    await append('gv-gate-shut', [
      observed('gv-up.gv-gate-shut', 'r1', true, now - 2_000),
      observed('gv-up.gv-gate-shut', 'r2', false, now - 1_000),
    ]);
    await append('gv-down', [
      observed('gv-up.gv-down', 'r1', true, now - 1_000),
      makeEvent('UpstreamFailing', { edgeId: 'gv-up.gv-down', failures: 2 }, meta),
    ]);
    await api().catchUp();

    const graph = await api().request('GET', `/v1/graph?job=${job}`);
    expect(graph.status).toBe(200);
    expect(graph.body.nodes).toEqual([
      {
        endpointId: 'gv-alone',
        jobId: 'gv',
        name: 'gv-alone',
        status: 'active',
        baseline: 'interval',
        fanIn: null,
        inJob: true,
      },
      expect.objectContaining({ endpointId: 'gv-down', baseline: 'none', inJob: true }),
      expect.objectContaining({ endpointId: 'gv-gate-ok', inJob: true }),
      expect.objectContaining({ endpointId: 'gv-gate-shut', inJob: true }),
      expect.objectContaining({ endpointId: 'gv-up', jobId: 'gv-other', inJob: false }),
    ]);
    const byId = Object.fromEntries(
      graph.body.edges.map((e: { edgeId: string; state: unknown }) => [e.edgeId, e.state]),
    );
    expect(Object.keys(byId)).toEqual(['gv-up.gv-down', 'gv-up.gv-gate-ok', 'gv-up.gv-gate-shut']);
    expect(byId['gv-up.gv-gate-ok']).toMatchObject({
      gate: 'open',
      breaker: null,
      latest: { runId: 'r1', satisfied: true, status: 200 },
      lastSatisfied: { runId: 'r1' },
    });
    expect(byId['gv-up.gv-gate-shut']).toMatchObject({
      gate: 'closed',
      latest: { runId: 'r2', satisfied: false, ok: false },
      lastSatisfied: { runId: 'r1' },
    });
    expect(byId['gv-up.gv-down']).toMatchObject({ gate: null, breaker: 'open', waiting: 1 });

    const ofOther = await api().request('GET', '/v1/graph?job=gv-other');
    expect(ofOther.body.nodes.map((n: { endpointId: string }) => n.endpointId)).toEqual([
      'gv-down',
      'gv-gate-ok',
      'gv-gate-shut',
      'gv-unrelated',
      'gv-up',
    ]);
    const listed = await api().request('GET', '/v1/dependencies?job=gv-other');
    expect(listed.body.items).toHaveLength(3);
    expect((await api().request('GET', '/v1/graph?job=nope')).status).toBe(404);
  });
});
