/**
 * A cascade reads as one trace: a run of an endpoint's own schedule starts it, and every run the
 * cascade causes — across jobs, through BullMQ and the event log — continues it; a fan-in links
 * the traces of every upstream run it joined.
 */
import {
  endpointDecider,
  endpointStream,
  type EndpointConfigInput,
  type EventStore,
} from '@orrery/domain';
import { createPostgresEventStore, handleCommand, migrateDatabase } from '@orrery/event-store';
import { BullmqQueue } from '@orrery/queue';
import { parseTraceparent } from '@orrery/telemetry';
import {
  declareEdges,
  deleteKeysWithPrefix,
  describeWithRedis,
  MemoryTelemetry,
  redisUrl,
  serviceRoleUrl,
  startTargetServer,
  uniquePrefix,
  useTestDatabase,
  waitFor,
  type TargetServer,
} from '@orrery/testkit';
import type { ReadableSpan } from '@opentelemetry/sdk-trace-base';
import pino from 'pino';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { schedulingMigrations } from '../migrations/index.js';
import { startRuntime, type Runtime } from '../runtime.js';

const db = useTestDatabase();
const tenantId = 't1';
const HOUR = 3_600_000;

describeWithRedis('a cascade as one trace', () => {
  const telemetry = new MemoryTelemetry();
  const prefix = uniquePrefix('cascade-trace');
  let queue: BullmqQueue;
  let target: TargetServer;
  let runtime: Runtime | undefined;

  beforeAll(async () => {
    await migrateDatabase(db().url, undefined, schedulingMigrations);
    target = await startTargetServer();
    // The graph is declared before anything runs: each source runs once (its first slot, now),
    // and every response it gives is judged by the edges.
    const store = createPostgresEventStore({ connectionString: db().url });
    try {
      await declareGraph(store, target.url);
    } finally {
      await store.close();
    }
    queue = new BullmqQueue({ connection: redisUrl(), prefix });
    runtime = await startRuntime({
      connectionString: await serviceRoleUrl(db()),
      queue,
      log: pino({ level: process.env['LOG_LEVEL'] ?? 'silent' }),
      roles: ['projection', 'dispatcher', 'executor'],
      executor: { http: { allowLoopback: true } },
      instrumentation: telemetry.instrumentation,
    });
    // Done: the last stage of the chain and the join are recorded, spans and all.
    await waitFor('load and join recorded', () => {
      const recorded = telemetry
        .spans()
        .filter((s) => s.name === 'orrery.run.record')
        .map((s) => s.attributes['orrery.endpoint.id']);
      return recorded.includes('load') && recorded.includes('join') ? true : undefined;
    });
  }, 30_000);

  afterAll(async () => {
    await runtime?.stop();
    await queue?.close();
    await deleteKeysWithPrefix(prefix);
    await target?.close();
    await telemetry.shutdown();
  });

  it('upstream run → trigger → downstream runs, across two jobs, form one tree', () => {
    const load = sentTo(target, 'load');
    const traceId = load.traceId;
    const spans = telemetry.spans().filter((s) => s.spanContext().traceId === traceId);
    expect(renderTree(spans)).toEqual([
      'orrery.run.dispatch extract',
      '  orrery.run.execute extract',
      '    orrery.cascade.trigger extract.transform triggered',
      '      orrery.run.dispatch transform',
      '      orrery.run.execute transform',
      '        orrery.cascade.trigger transform.load triggered',
      '          orrery.run.dispatch load',
      '          orrery.run.execute load',
      '            orrery.run.record load',
      '          orrery.run.queue_wait load',
      '        orrery.run.record transform',
      '      orrery.run.queue_wait transform',
      '    orrery.run.record extract',
      '  orrery.run.queue_wait extract',
    ]);

    const one = (name: string, endpoint: string) => {
      const found = spans.filter(
        (s) => s.name === name && s.attributes['orrery.endpoint.id'] === endpoint,
      );
      expect(found, `${name} ${endpoint}`).toHaveLength(1);
      return found[0] as ReadableSpan;
    };
    const root = one('orrery.run.dispatch', 'extract');
    const rootRun = root.attributes['orrery.run.id'];
    expect(root.attributes).toMatchObject({
      'orrery.tenant.id': tenantId,
      'orrery.job.id': 'etl',
      'orrery.run.reason': 'first_run',
    });
    expect(one('orrery.run.dispatch', 'load').attributes).toMatchObject({
      'orrery.job.id': 'report',
      'orrery.run.id': load.runId,
      'orrery.run.reason': 'cascade',
      'orrery.cascade.root': rootRun,
      'orrery.cascade.depth': 2,
    });
    const transformRun = one('orrery.run.execute', 'transform').attributes['orrery.run.id'];
    expect(one('orrery.cascade.trigger', 'load').attributes).toMatchObject({
      'orrery.tenant.id': tenantId,
      'orrery.edge.id': 'transform.load',
      'orrery.upstream.endpoint.id': 'transform',
      'orrery.upstream.run.id': transformRun,
      'orrery.run.id': load.runId,
      'orrery.cascade.root': rootRun,
    });
    // The loopback target of every stage was called in this trace, by that stage's call span.
    for (const stage of ['extract', 'transform', 'load']) {
      const sent = sentTo(target, stage);
      expect(sent.traceId, stage).toBe(traceId);
      expect(sent.parentSpanId, stage).toBe(one('orrery.run.execute', stage).spanContext().spanId);
    }
  });

  it('a run of an endpoint’s own schedule starts a trace of its own', () => {
    const roots = telemetry
      .spans()
      .filter((s) => s.name === 'orrery.run.dispatch' && s.parentSpanContext === undefined);
    const rootEndpoints = roots.map((s) => s.attributes['orrery.endpoint.id']).sort();
    expect(rootEndpoints).toEqual(['extract', 'src-a', 'src-b']);
    expect(new Set(roots.map((s) => s.spanContext().traceId)).size).toBe(3);
  });

  it('a fan-in’s run links the traces of both upstream runs it joined', () => {
    const traceOf = (endpoint: string) => sentTo(target, endpoint).traceId;
    const [a, b] = [traceOf('src-a'), traceOf('src-b')];
    expect(a).not.toBe(b);
    const fired = telemetry
      .spans()
      .filter(
        (s) =>
          s.name === 'orrery.cascade.trigger' &&
          s.attributes['orrery.endpoint.id'] === 'join' &&
          s.attributes['orrery.cascade.outcome'] === 'triggered',
      );
    expect(fired).toHaveLength(1);
    const trigger = fired[0] as ReadableSpan;
    // One link per upstream response joined (besides the processor batch that handled it).
    const links = trigger.links
      .filter((l) => l.attributes?.['orrery.processor.name'] === undefined)
      .map((l) => ({ trace: l.context.traceId, edge: l.attributes?.['orrery.edge.id'] }));
    expect(links).toHaveLength(2);
    expect(links).toEqual(
      expect.arrayContaining([
        { trace: a, edge: 'src-a.join' },
        { trace: b, edge: 'src-b.join' },
      ]),
    );
    // The join's run continues the trace of the upstream whose response completed it.
    const join = sentTo(target, 'join');
    expect(join.traceId).toBe(trigger.spanContext().traceId);
    expect([a, b]).toContain(join.traceId);
  });
});

async function declareGraph(store: EventStore, url: string): Promise<void> {
  const register = async (
    endpointId: string,
    jobId: string,
    config: Partial<EndpointConfigInput>,
  ) => {
    const result = await handleCommand(
      store,
      endpointDecider,
      endpointStream(tenantId, endpointId),
      {
        type: 'Register',
        endpointId,
        jobId,
        tenantId,
        config: {
          name: endpointId,
          request: { url: `${url}/${endpointId}` },
          baseline: { kind: 'none' },
          ...config,
        },
      },
      { now: Date.now, metadata: { tenantId, actor: { kind: 'user', id: 'test' } } },
    );
    expect(result.ok).toBe(true);
  };
  // Its first slot now, the next an hour away: one run in this test.
  const hourly = {
    baseline: { kind: 'interval', everyMs: HOUR },
    start: { kind: 'immediately' },
  } as const;
  // A chain across two jobs: extract (etl) → transform (etl) → load (report).
  await register('extract', 'etl', hourly);
  await register('transform', 'etl', {});
  await register('load', 'report', {});
  await declareEdges(store, tenantId, 'transform', [{ upstream: 'extract' }]);
  await declareEdges(store, tenantId, 'load', [{ upstream: 'transform' }]);
  // A fan-in of two sources, each running on its own schedule (its own trace).
  await register('src-a', 'etl', hourly);
  await register('src-b', 'report', hourly);
  await register('join', 'report', { fanIn: { combine: 'all' } });
  await declareEdges(store, tenantId, 'join', [{ upstream: 'src-a' }, { upstream: 'src-b' }]);
}

/** The one call `endpoint`'s target received: its run and the trace context it carried. */
function sentTo(target: TargetServer, endpoint: string) {
  const calls = target.requests.filter(
    (r) => new URL(r.path, 'http://x').pathname === `/${endpoint}`,
  );
  expect(calls, `calls to ${endpoint}`).toHaveLength(1);
  const headers = calls[0]?.headers ?? {};
  const context = parseTraceparent(String(headers['traceparent']));
  if (context === undefined) throw new Error(`${endpoint} got no valid traceparent`);
  return {
    runId: String(headers['idempotency-key']),
    traceId: context.traceId,
    parentSpanId: context.spanId,
  };
}

/**
 * The trace as an indented tree, one line per span: name, endpoint (the edge for a trigger, with
 * its outcome); children in name order. A span whose parent is not in the trace is a root.
 */
function renderTree(spans: readonly ReadableSpan[]): string[] {
  const ids = new Set(spans.map((s) => s.spanContext().spanId));
  const label = (s: ReadableSpan) =>
    s.name === 'orrery.cascade.trigger'
      ? `${s.name} ${String(s.attributes['orrery.edge.id'])} ${String(s.attributes['orrery.cascade.outcome'])}`
      : `${s.name} ${String(s.attributes['orrery.endpoint.id'])}`;
  const children = (parent: string | undefined) =>
    spans
      .filter((s) => {
        const p = s.parentSpanContext?.spanId;
        return parent === undefined ? p === undefined || !ids.has(p) : p === parent;
      })
      .sort((x, y) => label(x).localeCompare(label(y)));
  const lines: string[] = [];
  const walk = (span: ReadableSpan, depth: number) => {
    lines.push(`${'  '.repeat(depth)}${label(span)}`);
    for (const child of children(span.spanContext().spanId)) walk(child, depth + 1);
  };
  for (const root of children(undefined)) walk(root, 0);
  return lines;
}
