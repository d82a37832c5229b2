import { endpointStream, makeEvent, type AppendRequest, type EventStore } from '@orrery/domain';
import { describe, expect, it } from 'vitest';
import { useApiHarness } from '../test-support/api-harness.js';
import { applyPipeline, type ApplyDeps } from './apply.js';

const api = useApiHarness();

const endpoint = (id: string, extra: Record<string, unknown> = {}) => ({
  id,
  name: id,
  request: { url: `http://127.0.0.1:9/${id}` },
  baseline: { kind: 'interval', everyMs: 3_600_000 },
  ...extra,
});

const metadata = { tenantId: 't1', actor: { kind: 'user' as const, id: 'test' } };

/**
 * The harness's store, but before each `appendMany` (once, or every time) another writer pauses
 * and resumes the endpoint `r1`: the apply's append then finds that stream moved.
 */
function racing(store: EventStore, times: number): { store: EventStore; raced: () => number } {
  let raced = 0;
  const wrapped: EventStore = Object.create(store) as EventStore;
  wrapped.appendMany = async (requests: readonly AppendRequest[]) => {
    if (raced < times) {
      raced += 1;
      const stream = endpointStream('t1', 'r1');
      const version = (await store.readStream(stream)).length;
      const paused = makeEvent('Paused', { until: null, reason: `race ${raced}` }, metadata);
      const resumed = makeEvent('Resumed', { reason: `race ${raced}` }, metadata);
      await store.append(stream, [paused, resumed], { expectedVersion: version });
    }
    return store.appendMany(requests);
  };
  return { store: wrapped, raced: () => raced };
}

describe('applyPipeline under concurrent writers', () => {
  const deps = (store: EventStore): ApplyDeps => ({ ...api().deps, store });
  const document = (everyMs: number) => ({
    jobs: [
      {
        id: 'race',
        endpoints: [
          endpoint('r1', { baseline: { kind: 'interval', everyMs } }),
          endpoint('r2', { dependsOn: [{ upstream: 'r1' }] }),
        ],
      },
    ],
  });

  it('reads and decides again when a stream it read moved, and applies once', async () => {
    expect(
      (await api().request('PUT', '/v1/pipelines/race', { body: document(60_000) })).status,
    ).toBe(200);
    const { store, raced } = racing(api().deps.store, 1);
    const result = await applyPipeline(deps(store), {
      tenantId: 't1',
      name: 'race',
      document: document(120_000),
      dryRun: false,
      metadata,
    });
    expect(raced()).toBe(1);
    expect(result).toMatchObject({ applied: true, attempts: 2 });
    expect(result.diff.endpoints.change).toEqual([{ id: 'r1', fields: ['baseline.everyMs'] }]);
    const r1 = await api().deps.store.readStream(endpointStream('t1', 'r1'));
    expect(r1.filter((e) => e.type === 'EndpointReconfigured')).toHaveLength(1);
  });

  it('answers 409 when the streams keep moving, having appended none of the apply', async () => {
    const { store, raced } = racing(api().deps.store, 100);
    const before = await api().deps.store.headPosition();
    const applying = applyPipeline(deps(store), {
      tenantId: 't1',
      name: 'race',
      document: document(180_000),
      dryRun: false,
      metadata,
      attempts: 3,
    });
    await expect(applying).rejects.toMatchObject({ code: 'conflict' });
    expect(raced()).toBe(3);
    // Only the racing writer's events: two per round.
    expect(await api().deps.store.headPosition()).toBe(before + 2 * 3);
    const r1 = await api().deps.store.readStream(endpointStream('t1', 'r1'));
    expect(r1.filter((e) => e.type === 'EndpointReconfigured')).toHaveLength(1);
    const pipeline = await api().deps.store.readStream('pipeline-t1.race');
    expect(pipeline).toHaveLength(2);
  });
});

describe('PUT /v1/pipelines/{name}: formats and secrets', () => {
  const yaml = `
name: formats
jobs:
  - id: formats
    endpoints:
      - id: f1
        name: First
        request:
          url: http://127.0.0.1:9/f1
          headers:
            authorization: { value: "Bearer s3cret", secret: true }
        baseline: { kind: interval, everyMs: 60000 }
      - id: f2
        name: Second
        request: { url: http://127.0.0.1:9/f2 }
        baseline: { kind: none }
        dependsOn:
          - upstream: f1
            condition: ok && body.ready == true
`;

  it('takes YAML (application/yaml) and JSON alike: the same document is the same apply', async () => {
    const put = (payload: string, type: string) =>
      api().app.inject({
        method: 'PUT',
        url: '/v1/pipelines/formats',
        headers: { authorization: `Bearer ${api().keys.t1}`, 'content-type': type },
        payload,
      });
    const fromYaml = await put(yaml, 'application/yaml');
    expect(fromYaml.statusCode, fromYaml.body).toBe(200);
    expect(fromYaml.json()).toMatchObject({
      applied: true,
      diff: { endpoints: { create: ['f1', 'f2'] }, edges: { create: ['f1.f2'] } },
    });
    const json = JSON.stringify({
      name: 'formats',
      jobs: [
        {
          id: 'formats',
          endpoints: [
            endpoint('f1', {
              name: 'First',
              request: {
                url: 'http://127.0.0.1:9/f1',
                headers: { authorization: { value: 'Bearer s3cret', secret: true } },
              },
              baseline: { kind: 'interval', everyMs: 60_000 },
            }),
            endpoint('f2', {
              name: 'Second',
              baseline: { kind: 'none' },
              dependsOn: [{ upstream: 'f1', condition: 'ok && body.ready == true' }],
            }),
          ],
        },
      ],
    });
    const fromJson = await put(json, 'application/json');
    expect(fromJson.statusCode).toBe(200);
    expect(fromJson.json()).toMatchObject({ changed: false, digest: fromYaml.json().digest });

    const broken = await put('jobs: [\n  - id: x\n', 'application/yaml');
    expect(broken.statusCode).toBe(400);
    expect(broken.json().detail).toMatch(/not valid YAML.*line/);
    expect((await put('<jobs/>', 'application/xml')).statusCode).toBe(415);
  });

  it('seals secret header values as the create route does: stored sealed, shown as ***', async () => {
    const [registered] = await api().deps.store.readStream(endpointStream('t1', 'f1'));
    const sealed =
      registered?.type === 'EndpointRegistered' && registered.data.config.request.headers;
    expect(sealed && sealed['authorization']).toMatchObject({
      secret: true,
      value: expect.stringMatching(/^enc:v1:/),
    });
    expect(JSON.stringify(await api().deps.store.readStream('pipeline-t1.formats'))).not.toMatch(
      /s3cret/,
    );
    const shown = await api().request('GET', '/v1/endpoints/f1');
    expect(shown.body.config.request.headers.authorization).toEqual({ value: '***', secret: true });
    // Another secret value is a change of the value, never shown.
    const changed = yaml.replace('Bearer s3cret', 'Bearer rotated');
    const dry = await api().app.inject({
      method: 'PUT',
      url: '/v1/pipelines/formats?dryRun=true',
      headers: { authorization: `Bearer ${api().keys.t1}`, 'content-type': 'application/yaml' },
      payload: changed,
    });
    expect(dry.json().diff.endpoints.change).toEqual([
      { id: 'f1', fields: ['request.headers.authorization.value'] },
    ]);
    expect(dry.body).not.toMatch(/rotated|enc:v1/);
  });
});
