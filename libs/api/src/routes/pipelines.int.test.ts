import { describe, expect, it } from 'vitest';
import { useApiHarness } from '../test-support/api-harness.js';

const api = useApiHarness();

type Doc = { name?: string; jobs: Record<string, unknown>[] };

const endpoint = (id: string, extra: Record<string, unknown> = {}) => ({
  id,
  name: id,
  request: { url: `http://127.0.0.1:9/${id}` },
  baseline: { kind: 'interval', everyMs: 3_600_000 },
  ...extra,
});

/** Three jobs; `load` depends on `extract` (another job), `report` on `load` and `audit`. */
const threeJobs = (): Doc => ({
  jobs: [
    { id: 'ingest', name: 'Ingest', endpoints: [endpoint('extract'), endpoint('audit')] },
    {
      id: 'warehouse',
      endpoints: [
        endpoint('load', {
          baseline: { kind: 'none' },
          dependsOn: [{ upstream: 'extract', condition: 'ok && body.rows > 0' }],
        }),
      ],
    },
    {
      id: 'reporting',
      endpoints: [
        endpoint('report', {
          dependsOn: [{ upstream: 'load' }, { upstream: 'audit', mode: 'gate' }],
        }),
      ],
    },
  ],
});

const put = (name: string, body: unknown, query = '', key?: string) =>
  api().request('PUT', `/v1/pipelines/${name}${query}`, {
    body,
    ...(key === undefined ? {} : { key }),
  });

const head = () => api().deps.store.headPosition();
const stream = (id: string) => api().deps.store.readStream(id);
const types = async (id: string) => (await stream(id)).map((e) => e.type);

describe('PUT /v1/pipelines/{name}', () => {
  it('applies a three-job document with cross-job edges in one atomic append', async () => {
    const before = await head();
    const applied = await put('etl', threeJobs());
    expect(applied.status).toBe(200);
    expect(applied.body).toMatchObject({
      pipeline: 'etl',
      dryRun: false,
      changed: true,
      applied: true,
      attempts: 1,
      diff: {
        jobs: { create: ['ingest', 'warehouse', 'reporting'], change: [], archive: [] },
        endpoints: { create: ['extract', 'audit', 'load', 'report'], archive: [] },
        edges: { create: ['extract.load', 'load.report', 'audit.report'], remove: [] },
      },
    });
    // One append: its events hold every position from the first to the last, nothing else.
    const { first, last } = applied.body.positions;
    expect(first).toBe(before + 1);
    expect(last - first + 1).toBe(applied.body.events);
    expect(await head()).toBe(last);

    expect(await types('job-t1.warehouse')).toEqual(['JobCreated']);
    expect(await types('endpoint-t1.report')).toEqual([
      'EndpointRegistered',
      'DependencyDeclared',
      'DependencyDeclared',
    ]);
    const graph = await stream('graph-t1.dependencies');
    expect(graph.map((e) => e.type)).toEqual(Array(3).fill('DependencyDeclared'));
    const onReport = (await stream('endpoint-t1.report')).slice(1).map((e) => e.data);
    expect(graph.slice(1).map((e) => e.data)).toEqual(onReport);
    const [recorded] = await stream('pipeline-t1.etl');
    expect(recorded).toMatchObject({
      type: 'PipelineApplied',
      data: {
        name: 'etl',
        digest: applied.body.digest,
        created: { jobs: ['ingest', 'warehouse', 'reporting'], edges: expect.any(Array) },
        adopted: { jobs: [], endpoints: [], edges: [] },
      },
    });

    const load = await api().request('GET', '/v1/endpoints/load');
    expect(load.body).toMatchObject({ jobId: 'warehouse', status: 'active' });
  });

  it('appends nothing when the same document is applied again, and says so', async () => {
    const before = await head();
    const again = await put('etl', threeJobs());
    expect(again.status).toBe(200);
    expect(again.body).toMatchObject({
      changed: false,
      applied: false,
      events: 0,
      positions: null,
      summary: expect.stringMatching(/nothing to apply/),
      diff: {
        jobs: { create: [], change: [], archive: [], unchanged: 3 },
        endpoints: { create: [], change: [], archive: [], unchanged: 4 },
        edges: { create: [], change: [], remove: [], unchanged: 3 },
      },
    });
    // From the read models' snapshots too.
    await api().catchUp();
    const snap = await put('etl', threeJobs());
    expect(snap.body.changed, JSON.stringify(snap.body)).toBe(false);
    expect(await head()).toBe(before);
  });

  it('answers a dry run with what it would create, change and remove, appending nothing', async () => {
    const next = threeJobs();
    const [ingest, warehouse, reporting] = next.jobs as { endpoints: Record<string, unknown>[] }[];
    ingest!.endpoints = [endpoint('extract', { baseline: { kind: 'interval', everyMs: 60_000 } })];
    warehouse!.endpoints.push(endpoint('verify', { dependsOn: [{ upstream: 'load' }] }));
    reporting!.endpoints = [
      endpoint('report', { dependsOn: [{ upstream: 'load', mode: 'gate' }] }),
    ];
    const before = await head();
    const dry = await put('etl', next, '?dryRun=true');
    expect(dry.status).toBe(200);
    expect(dry.body).toMatchObject({
      dryRun: true,
      changed: true,
      applied: false,
      positions: null,
      summary: expect.stringMatching(/^dry run/),
      diff: {
        jobs: { create: [], change: [], archive: [], unchanged: 3 },
        endpoints: {
          create: ['verify'],
          change: [{ id: 'extract', fields: ['baseline.everyMs'] }],
          archive: ['audit'],
          unchanged: 2,
        },
        edges: {
          create: ['load.verify'],
          change: [{ id: 'load.report', fields: ['mode'] }],
          remove: ['audit.report'],
          unchanged: 1,
        },
      },
    });
    expect(dry.body.events).toBeGreaterThan(0);
    expect(await head()).toBe(before);
  });

  it('archives an endpoint the document drops, and removes the edges it created there', async () => {
    const next = threeJobs();
    const ingest = next.jobs[0] as { endpoints: unknown[] };
    ingest.endpoints = [endpoint('extract')];
    const reporting = next.jobs[2] as { endpoints: unknown[] };
    reporting.endpoints = [endpoint('report', { dependsOn: [{ upstream: 'load' }] })];
    const applied = await put('etl', next);
    expect(applied.body).toMatchObject({
      applied: true,
      diff: { endpoints: { archive: ['audit'] }, edges: { remove: ['audit.report'] } },
    });
    expect((await api().request('GET', '/v1/endpoints/audit')).body.status).toBe('archived');
    const report = await stream('endpoint-t1.report');
    expect(report.at(-1)).toMatchObject({
      type: 'DependencyRemoved',
      data: { edgeId: 'audit.report', reason: 'dropped from pipeline etl' },
    });
    const graph = await stream('graph-t1.dependencies');
    expect(graph.at(-1)).toMatchObject({ type: 'DependencyRemoved', data: report.at(-1)?.data });
  });
});

describe('a document refused whole', () => {
  const refusedWhole = async (doc: unknown, status: number) => {
    const before = await head();
    const answer = await put('refused', doc);
    expect(answer.status, JSON.stringify(answer.body)).toBe(status);
    expect(answer.headers['content-type']).toMatch(/^application\/problem\+json/);
    expect(await head()).toBe(before);
    return answer.body;
  };

  it('names every schema issue by its path in the document (400)', async () => {
    const doc = threeJobs();
    const ingest = doc.jobs[0] as { endpoints: Record<string, unknown>[] };
    ingest.endpoints.push(
      endpoint('e2'),
      endpoint('e3', { baseline: { kind: 'interval', everyMs: 5 } }),
      endpoint('extract'),
    );
    const problem = await refusedWhole(doc, 400);
    expect(problem.errors).toEqual([
      { field: 'jobs.0.endpoints.3.baseline.everyMs', message: expect.stringMatching(/>=100/) },
    ]);
    const twice = await refusedWhole(
      { jobs: [{ id: 'j', endpoints: [endpoint('x'), endpoint('x')] }] },
      400,
    );
    expect(twice.errors).toEqual([
      { field: 'jobs.0.endpoints.1.id', message: expect.stringMatching(/declared twice/) },
    ]);
  });

  it('refuses a cycle through the document, with its path (422)', async () => {
    const doc = {
      jobs: [
        { id: 'c1', endpoints: [endpoint('ca', { dependsOn: [{ upstream: 'cc' }] })] },
        { id: 'c2', endpoints: [endpoint('cb', { dependsOn: [{ upstream: 'ca' }] })] },
        { id: 'c3', endpoints: [endpoint('cc', { dependsOn: [{ upstream: 'cb' }] })] },
      ],
    };
    const problem = await refusedWhole(doc, 422);
    expect(problem.detail).toMatch(/cycle: (\w+ → ){3}\w+/);
    expect(problem.errors[0].field).toMatch(/^jobs\.\d\.endpoints\.0\.dependsOn\.0\.upstream$/);
  });

  it('refuses a cycle closed with the live graph (422)', async () => {
    // etl holds extract → load → report; a document making report an upstream of extract.
    const doc = {
      jobs: [
        { id: 'loop', endpoints: [endpoint('loop-a', { dependsOn: [{ upstream: 'report' }] })] },
      ],
    };
    expect((await put('loop', doc)).status).toBe(200);
    const problem = await refusedWhole(
      {
        jobs: [
          {
            id: 'loop2',
            endpoints: [endpoint('loop-b', { dependsOn: [{ upstream: 'loop-a' }] })],
          },
          {
            id: 'ingest',
            endpoints: [endpoint('extract', { dependsOn: [{ upstream: 'loop-b' }] })],
          },
        ],
      },
      422,
    );
    expect(problem.detail).toMatch(/cycle: loop-b → extract → load → report → loop-a → loop-b/);
  });

  it('refuses an expression that does not compile, and an upstream that does not resolve (422)', async () => {
    const doc = {
      jobs: [
        {
          id: 'bad',
          endpoints: [
            endpoint('b1'),
            endpoint('b2', { dependsOn: [{ upstream: 'b1', condition: 'status == 200 &&' }] }),
            endpoint('b3', { dependsOn: [{ upstream: 'nowhere' }] }),
          ],
        },
      ],
    };
    const problem = await refusedWhole(doc, 422);
    expect(problem.errors).toEqual(
      expect.arrayContaining([
        {
          field: 'jobs.0.endpoints.2.dependsOn.0.upstream',
          message: expect.stringMatching(/nowhere/),
        },
      ]),
    );
    const fanIn = await refusedWhole(
      {
        jobs: [
          {
            id: 'bad',
            endpoints: [
              endpoint('b1'),
              endpoint('b2', { dependsOn: [{ upstream: 'b1' }], fanIn: { combine: 'b1 && nope' } }),
            ],
          },
        ],
      },
      422,
    );
    expect(fanIn.errors[0].field).toBe('jobs.0.endpoints.1.fanIn.combine');
    const condition = await refusedWhole(
      {
        jobs: [
          {
            id: 'bad',
            endpoints: [
              endpoint('b1'),
              endpoint('b2', { dependsOn: [{ upstream: 'b1', condition: 'status == 200 &&' }] }),
            ],
          },
        ],
      },
      422,
    );
    expect(condition.errors[0].field).toBe('jobs.0.endpoints.1.dependsOn.0.condition');
  });

  it('refuses an endpoint of another job, and a document named otherwise than its URL', async () => {
    const moved = await refusedWhole(
      { jobs: [{ id: 'elsewhere', endpoints: [endpoint('extract')] }] },
      409,
    );
    expect(moved.errors[0]).toEqual({
      field: 'jobs.0.endpoints.0.id',
      message: expect.stringMatching(/belongs to job ingest/),
    });
    const named = await refusedWhole({ name: 'other', jobs: [] }, 400);
    expect(named.errors[0].field).toBe('name');
  });
});
