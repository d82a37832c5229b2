import { describe, expect, it } from 'vitest';
import { foldWith } from '../decider.js';
import { endpointDecider } from '../endpoint/decider.js';
import type { DomainError } from '../errors.js';
import { makeEvent } from '../events/event.js';
import { graphDecider } from '../graph/graph.js';
import { edgeOf } from '../graph/edge.js';
import { jobDecider } from '../job/job.js';
import { parseEndpointStream, parseJobStream } from '../streams.js';
import { parsePipelineDocument, type PipelineDocumentInput } from './document.js';
import type { LiveState } from './live.js';
import { pipelineDecider } from './pipeline.js';
import { planPipeline, type PipelinePlan } from './plan.js';

const now = Date.parse('2030-01-01T00:00:00Z');
const metadata = { tenantId: 't1', actor: { kind: 'user' as const, id: 'test' } };
const ctx = { now, metadata };

const endpoint = (id: string, extra: Record<string, unknown> = {}) => ({
  id,
  name: id,
  request: { url: `https://example.com/${id}` },
  baseline: { kind: 'interval' as const, everyMs: 60_000 },
  ...extra,
});

const nothingLive = (): LiveState => ({
  pipeline: pipelineDecider.initialState(),
  jobs: new Map(),
  endpoints: new Map(),
  graph: graphDecider.initialState(),
});

/** Plans `input` as the pipeline `etl` against `live` (configs as the document has them). */
function plan(input: PipelineDocumentInput, live: LiveState = nothingLive()) {
  const parsed = parsePipelineDocument(input);
  if (!parsed.ok) throw new Error(JSON.stringify(parsed.error));
  const document = parsed.value;
  const configs = new Map(
    document.jobs.flatMap((job) =>
      job.endpoints.map(({ id, dependsOn: _edges, ...config }) => [id, config] as const),
    ),
  );
  return planPipeline({ tenantId: 't1', name: 'etl', document, configs, digest: 'd1', live }, ctx);
}

function planned(input: PipelineDocumentInput, live?: LiveState): PipelinePlan {
  const result = plan(input, live);
  if (!result.ok) throw new Error(JSON.stringify(result.error));
  return result.value;
}

function refused(input: PipelineDocumentInput, live?: LiveState): DomainError {
  const result = plan(input, live);
  if (result.ok) throw new Error('the plan was not refused');
  return result.error;
}

/** The live state once a plan's appends are in the log. */
function applied(live: LiveState, { appends }: PipelinePlan): LiveState {
  const jobs = new Map(live.jobs);
  const endpoints = new Map(live.endpoints);
  let { graph, pipeline } = live;
  for (const { streamId, events } of appends) {
    const job = parseJobStream(streamId);
    const ep = parseEndpointStream(streamId);
    if (job) jobs.set(job.id, foldWith(jobDecider, events, jobs.get(job.id)));
    else if (ep) endpoints.set(ep.id, foldWith(endpointDecider, events, endpoints.get(ep.id)));
    else if (streamId.startsWith('graph-')) graph = foldWith(graphDecider, events, graph);
    else pipeline = foldWith(pipelineDecider, events, pipeline);
  }
  return { jobs, endpoints, graph, pipeline };
}

const typesOn = (p: PipelinePlan, streamId: string) =>
  p.appends.find((a) => a.streamId === streamId)?.events.map((e) => e.type);

const twoJobs: PipelineDocumentInput = {
  jobs: [
    { id: 'ingest', endpoints: [endpoint('extract'), endpoint('audit')] },
    {
      id: 'warehouse',
      endpoints: [
        endpoint('load', { dependsOn: [{ upstream: 'extract' }, { upstream: 'audit' }] }),
      ],
    },
  ],
};

describe('planPipeline', () => {
  it('given nothing live, when a document is applied, then every stream gets its events at version 0', () => {
    const p = planned(twoJobs);
    expect(p.appends.map((a) => [a.streamId, a.expectedVersion])).toEqual([
      ['job-t1.ingest', 0],
      ['job-t1.warehouse', 0],
      ['endpoint-t1.extract', 0],
      ['endpoint-t1.audit', 0],
      ['endpoint-t1.load', 0],
      ['graph-t1.dependencies', 0],
      ['pipeline-t1.etl', 0],
    ]);
    expect(typesOn(p, 'endpoint-t1.load')).toEqual([
      'EndpointRegistered',
      'DependencyDeclared',
      'DependencyDeclared',
    ]);
    expect(typesOn(p, 'graph-t1.dependencies')).toEqual([
      'DependencyDeclared',
      'DependencyDeclared',
    ]);
    expect(p.appends.at(-1)?.events[0]).toMatchObject({
      type: 'PipelineApplied',
      data: {
        name: 'etl',
        digest: 'd1',
        created: {
          jobs: ['ingest', 'warehouse'],
          endpoints: ['extract', 'audit', 'load'],
          edges: ['extract.load', 'audit.load'],
        },
        adopted: { jobs: [], endpoints: [], edges: [] },
      },
    });
    expect(p.events).toBe(2 + 3 + 2 * 2 + 1);
  });

  it('given the document applied, when it is applied again, then nothing is appended', () => {
    const live = applied(nothingLive(), planned(twoJobs));
    const again = planned(twoJobs, live);
    expect(again.appends).toEqual([]);
    expect(again.events).toBe(0);
    expect(again.diff.endpoints.unchanged).toBe(3);
    expect(again.diff.edges.unchanged).toBe(2);
  });

  it('given the document applied, when it drops an endpoint, then the endpoint is archived and its edges removed on both streams', () => {
    const live = applied(nothingLive(), planned(twoJobs));
    const next = planned(
      {
        jobs: [
          { id: 'ingest', endpoints: [endpoint('extract')] },
          {
            id: 'warehouse',
            endpoints: [endpoint('load', { dependsOn: [{ upstream: 'extract' }] })],
          },
        ],
      },
      live,
    );
    expect(next.diff.endpoints.archive).toEqual(['audit']);
    expect(next.diff.edges.remove).toEqual(['audit.load']);
    expect(typesOn(next, 'endpoint-t1.audit')).toEqual(['EndpointArchived']);
    expect(typesOn(next, 'endpoint-t1.load')).toEqual(['DependencyRemoved']);
    expect(typesOn(next, 'graph-t1.dependencies')).toEqual(['DependencyRemoved']);
    expect(next.appends.find((a) => a.streamId === 'endpoint-t1.load')?.expectedVersion).toBe(3);
  });

  it('given an endpoint registered outside the pipeline, when a document adopts then drops it, then it is left as it is', () => {
    const { id: _id, ...config } = endpoint('audit');
    const registered = endpointDecider.decide(
      { type: 'Register', endpointId: 'audit', jobId: 'ingest', tenantId: 't1', config },
      endpointDecider.initialState(),
      ctx,
    );
    if (!registered.ok) throw new Error('registered');
    const job = jobDecider.decide(
      { type: 'CreateJob', jobId: 'ingest', tenantId: 't1', name: 'ingest' },
      jobDecider.initialState(),
      ctx,
    );
    if (!job.ok) throw new Error('job');
    const before: LiveState = {
      ...nothingLive(),
      jobs: new Map([['ingest', foldWith(jobDecider, job.value)]]),
      endpoints: new Map([['audit', foldWith(endpointDecider, registered.value)]]),
    };
    const first = planned(twoJobs, before);
    expect(first.diff.endpoints.create).toEqual(['extract', 'load']);
    expect(first.appends.at(-1)?.events[0]).toMatchObject({
      data: { adopted: { jobs: ['ingest'], endpoints: ['audit'] } },
    });
    const dropped = planned(
      {
        jobs: [
          { id: 'ingest', endpoints: [endpoint('extract')] },
          {
            id: 'warehouse',
            endpoints: [endpoint('load', { dependsOn: [{ upstream: 'extract' }] })],
          },
        ],
      },
      applied(before, first),
    );
    // The edge into load was the pipeline's own: it goes; the endpoint it adopted stays.
    expect(dropped.diff.endpoints.archive).toEqual([]);
    expect(dropped.diff.edges.remove).toEqual(['audit.load']);
    expect(typesOn(dropped, 'endpoint-t1.audit')).toBeUndefined();
  });

  it('refuses an upstream that resolves nowhere, at its path', () => {
    const error = refused({
      jobs: [{ id: 'j', endpoints: [endpoint('a', { dependsOn: [{ upstream: 'ghost' }] })] }],
    });
    expect(error).toMatchObject({
      code: 'unprocessable',
      field: 'jobs.0.endpoints.0.dependsOn.0.upstream',
      details: { errors: [{ field: 'jobs.0.endpoints.0.dependsOn.0.upstream' }] },
    });
  });

  it('refuses a cycle through the live graph and the document, with its path', () => {
    const live = applied(nothingLive(), planned(twoJobs));
    const error = refused(
      {
        jobs: [
          {
            id: 'ingest',
            endpoints: [
              endpoint('extract', { dependsOn: [{ upstream: 'load' }] }),
              endpoint('audit'),
            ],
          },
          twoJobs.jobs[1] as PipelineDocumentInput['jobs'][number],
        ],
      },
      live,
    );
    expect(error).toMatchObject({
      code: 'unprocessable',
      field: 'jobs.0.endpoints.0.dependsOn.0.upstream',
      details: { cycle: ['load', 'extract', 'load'] },
    });
    expect(error.message).toMatch(/load → extract → load/);
  });

  it('refuses an endpoint that lives in another job, and names every issue', () => {
    const live = applied(nothingLive(), planned(twoJobs));
    const error = refused(
      {
        jobs: [
          {
            id: 'other',
            endpoints: [endpoint('extract'), endpoint('b', { dependsOn: [{ upstream: 'nope' }] })],
          },
        ],
      },
      live,
    );
    expect(error.code).toBe('conflict');
    expect(error.details?.['errors']).toEqual([
      { field: 'jobs.0.endpoints.0.id', message: expect.stringMatching(/belongs to job ingest/) },
      { field: 'jobs.0.endpoints.1.dependsOn.0.upstream', message: expect.stringMatching(/nope/) },
    ]);
  });
});

describe('planPipeline: expressions', () => {
  it('refuses a fan-in or a correlation that does not compile, at its path', () => {
    const error = refused({
      jobs: [
        {
          id: 'j',
          endpoints: [
            endpoint('a'),
            endpoint('b', {
              dependsOn: [{ upstream: 'a' }],
              fanIn: { combine: 'a && nope', correlation: 'body.batch_id +' },
            }),
          ],
        },
      ],
    });
    expect(error.code).toBe('unprocessable');
    expect((error.details?.['errors'] as { field: string }[]).map((e) => e.field)).toEqual([
      'jobs.0.endpoints.1.fanIn.combine',
      'jobs.0.endpoints.1.fanIn.correlation',
    ]);
  });
});

describe('parsePipelineDocument', () => {
  it('names every schema issue by its path in the document', () => {
    const parsed = parsePipelineDocument({
      jobs: [
        {
          id: 'j',
          endpoints: [endpoint('a', { baseline: { kind: 'interval', everyMs: 5 } }), { id: 'b' }],
        },
      ],
    });
    expect(parsed.ok).toBe(false);
    const fields =
      !parsed.ok && (parsed.error.details?.['errors'] as { field: string }[]).map((e) => e.field);
    expect(fields).toEqual([
      'jobs.0.endpoints.0.baseline.everyMs',
      'jobs.0.endpoints.1.name',
      'jobs.0.endpoints.1.request',
      'jobs.0.endpoints.1.baseline',
    ]);
  });
});

describe("the graph decider's bulk fold", () => {
  it('folds a graph stream as evolve does event by event', () => {
    const events = Array.from({ length: 60 }, (_, i) =>
      i % 7 === 6
        ? makeEvent(
            'DependencyRemoved',
            {
              edgeId: `e${i - 1}.e${i}`,
              upstreamEndpointId: `e${i - 1}`,
              downstreamEndpointId: `e${i}`,
            },
            metadata,
          )
        : makeEvent('DependencyDeclared', edgeOf(`e${i + 1}`, { upstream: `e${i}` }), metadata),
    );
    const start = graphDecider.initialState();
    expect(foldWith(graphDecider, events, start)).toEqual(
      events.reduce(graphDecider.evolve, start),
    );
  });
});
