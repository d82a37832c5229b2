import {
  endpointDecider,
  endpointStream,
  type EndpointConfigInput,
  type RecordedEvent,
} from '@orrery/domain';
import { handleCommand, migrateDatabase } from '@orrery/event-store';
import { InProcessQueue } from '@orrery/queue';
import {
  declareEdges,
  MemoryTelemetry,
  serviceRoleUrl,
  startTargetServer,
  useTestDatabase,
  waitFor,
  type TargetRequest,
  type TargetServer,
} from '@orrery/testkit';
import pino from 'pino';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { schedulingMigrations } from '../migrations/index.js';
import { startRuntime, type Runtime } from '../runtime.js';
import { CascadeProcessor } from './cascade.js';
import { runToHead } from './processor-host.js';
import { SchedulingProjection } from '../projection/scheduling-projection.js';
import { createPostgresEventStore } from '@orrery/event-store';
import { createSchedulingDb } from '../db.js';
import { makeEvent } from '@orrery/domain';
import type { Instrumentation } from '@orrery/telemetry';
import { CASCADE_ATTRIBUTES, CASCADE_METRICS } from './cascade-metrics.js';

const db = useTestDatabase();
const log = pino({ level: process.env['LOG_LEVEL'] ?? 'silent' });
const tenantId = 't1';
let target: TargetServer;
let runtime: Runtime | undefined;
let serviceUrl = '';

/** The scripted answers: `/<stage>?batch=N` answers that batch, ready for the next stage. */
let extracted = 0;
const respond = (request: TargetRequest) => {
  const url = new URL(request.path, 'http://x');
  const stage = url.pathname.slice(1);
  if (stage === 'extract') return { batch_id: ++extracted, ready_for_next_stage: true };
  if (stage === 'flaky') return { ok: false };
  return { batch_id: Number(url.searchParams.get('batch')), ready_for_next_stage: true };
};

beforeAll(async () => {
  await migrateDatabase(db().url, undefined, schedulingMigrations);
  serviceUrl = await serviceRoleUrl(db());
  target = await startTargetServer({
    respond,
    status: (p) => (p.startsWith('/flaky') ? 500 : 200),
  });
});
afterAll(async () => {
  await target.close();
});
afterEach(async () => {
  await runtime?.stop();
  runtime = undefined;
});

const start = (instrumentation?: Instrumentation) =>
  startRuntime({
    connectionString: serviceUrl,
    queue: new InProcessQueue(),
    log,
    roles: ['projection', 'dispatcher', 'executor'],
    executor: { http: { allowLoopback: true } },
    ...(instrumentation ? { instrumentation } : {}),
  });

/** The hops `orrery.cascade.hop.duration` counted, by how the downstream run was dispatched. */
const hops = async (telemetry: MemoryTelemetry) => {
  const totals = await telemetry.totals();
  const { hopDuration } = CASCADE_METRICS;
  const by = (dispatch: 'direct' | 'deferred') =>
    totals.histogram(hopDuration, { [CASCADE_ATTRIBUTES.dispatch]: dispatch });
  return { all: totals.histogram(hopDuration), direct: by('direct'), deferred: by('deferred') };
};

async function register(
  store: Runtime['store'],
  endpointId: string,
  config: Partial<EndpointConfigInput>,
) {
  const result = await handleCommand(
    store,
    endpointDecider,
    endpointStream(tenantId, endpointId),
    {
      type: 'Register',
      endpointId,
      jobId: 'etl',
      tenantId,
      config: {
        name: endpointId,
        request: { url: `${target.url}/${endpointId}` },
        baseline: { kind: 'none' },
        ...config,
      },
    },
    { now: Date.now, metadata: { tenantId, actor: { kind: 'user', id: 'test' } } },
  );
  expect(result.ok).toBe(true);
}

const batchOf = (r: TargetRequest) => Number(new URL(r.path, 'http://x').searchParams.get('batch'));
const stageOf = (r: TargetRequest) => new URL(r.path, 'http://x').pathname.slice(1);

describe('cascades through the real pipeline', () => {
  it('ETL: each stage runs once per batch, in order, with the batch id flowing through templates', async () => {
    const telemetry = new MemoryTelemetry();
    runtime = await start(telemetry.instrumentation);
    const { store } = runtime;
    const from = await store.headPosition();
    const stages = ['extract', 'transform', 'load', 'verify'] as const;
    await register(store, 'extract', { baseline: { kind: 'interval', everyMs: 400 } });
    for (const [i, stage] of stages.entries()) {
      if (i === 0) continue;
      const upstream = stages[i - 1] ?? '';
      await register(store, stage, {
        request: { url: `${target.url}/${stage}?batch={{ upstream.${upstream}.body.batch_id }}` },
      });
      await declareEdges(store, tenantId, stage, [
        { upstream, condition: 'body.ready_for_next_stage == true' },
      ]);
    }

    await waitFor('three batches verified', async () =>
      target.requests.filter((r) => stageOf(r) === 'verify').length >= 3 ? true : undefined,
    );
    await runtime.stop();
    runtime = undefined;

    const verified = target.requests.filter((r) => stageOf(r) === 'verify').map(batchOf);
    for (const batch of verified) {
      const calls = stages.map((stage) =>
        target.requests.filter(
          (r) => stageOf(r) === stage && (stage === 'extract' ? false : batchOf(r) === batch),
        ),
      );
      // Each downstream stage ran exactly once for the batch, in stage order.
      for (const call of calls.slice(1)) expect(call).toHaveLength(1);
      const times = calls.slice(1).map((c) => c[0]?.at ?? 0);
      expect([...times].sort((a, b) => a - b)).toEqual(times);
    }
    // No stage ever ran twice for one batch, finished or not.
    for (const stage of stages.slice(1)) {
      const batches = target.requests.filter((r) => stageOf(r) === stage).map(batchOf);
      expect(new Set(batches).size).toBe(batches.length);
      expect(batches.every((b) => Number.isInteger(b) && b > 0)).toBe(true);
    }

    // One hop figure per cascade the log shows fired: dispatched by the processor in the same
    // append (`direct`, its RunDispatched by the cascade actor) or left to the dispatcher.
    const reader = createPostgresEventStore({ connectionString: serviceUrl, maxConnections: 1 });
    const fired = await reader.readAll({ after: from }).finally(() => reader.close());
    const triggered = fired.filter((e) => e.type === 'CascadeTriggered').length;
    const direct = fired.filter(
      (e) => e.type === 'RunDispatched' && e.metadata.actor.kind === 'cascade',
    ).length;
    const counted = await hops(telemetry);
    await telemetry.shutdown();
    expect(triggered).toBeGreaterThanOrEqual(3 * (stages.length - 1));
    expect({ all: counted.all.count, direct: counted.direct.count }).toEqual({
      all: triggered,
      direct,
    });
    expect(counted.deferred.count).toBe(triggered - direct);
    expect(counted.all.min).toBeGreaterThanOrEqual(0);
  });

  it('a failing upstream trips the breaker of a gated downstream, and nothing cascades', async () => {
    runtime = await start();
    const { store } = runtime;
    await register(store, 'flaky', { baseline: { kind: 'interval', everyMs: 150 } });
    await register(store, 'report', { baseline: { kind: 'interval', everyMs: 150 } });
    await declareEdges(store, tenantId, 'report', [
      { upstream: 'flaky', mode: 'gate', onUpstreamFailure: { afterFailures: 3 } },
    ]);
    const events = async () => store.readStream(endpointStream(tenantId, 'report'));
    const failing = await waitFor('the breaker opened', async () =>
      (await events()).find((e): e is RecordedEvent => e.type === 'UpstreamFailing'),
    );
    // Once open, the report endpoint is held: no run, not even a skipped one, is decided.
    const after = (await events()).filter((e) => e.position > failing.position);
    expect(after.filter((e) => e.type === 'RunDispatched' || e.type === 'RunSkipped')).toEqual([]);
    expect(target.requests.filter((r) => stageOf(r) === 'report')).toEqual([]);
    await waitFor('the read model holds it, with no next run', async () => {
      const current = await runtime?.db
        .selectFrom('schedule')
        .select(['reason', 'next_run_at'])
        .where('endpoint_id', '=', 'report')
        .executeTakeFirst();
      return current?.reason === 'upstream_failing' && current.next_run_at === null
        ? true
        : undefined;
    });
  });

  it('observes a response once per edge, however often it is handled, and never with an edge declared after it', async () => {
    const store = createPostgresEventStore({ connectionString: serviceUrl, maxConnections: 2 });
    const sdb = createSchedulingDb({ connectionString: serviceUrl, max: 2 });
    try {
      await register(store, 'up-1', { baseline: { kind: 'interval', everyMs: 60_000 } });
      await register(store, 'down-1', {});
      const response = (runId: string) =>
        makeEvent(
          'ResponseRecorded',
          {
            runId,
            startedAt: new Date().toISOString(),
            finishedAt: new Date().toISOString(),
            durationMs: 1,
            status: 200,
            ok: true,
            headers: {},
            body: { n: 1 },
            bodyTruncated: false,
          },
          { tenantId, actor: { kind: 'system', id: 'test' } },
        );
      const up = endpointStream(tenantId, 'up-1');
      await store.append(up, [response('before-edge')], { expectedVersion: 'any' });
      await declareEdges(store, tenantId, 'down-1', [{ upstream: 'up-1' }]);
      await store.append(up, [response('after-edge')], { expectedVersion: 'any' });
      const log = await store.readAll({ after: 0 });
      // The clock reads 2.5 s after the response was recorded: the hop is that long.
      const recorded = log.find(
        (e) => e.type === 'ResponseRecorded' && e.data.runId === 'after-edge',
      )?.recordedAt;
      const telemetry = new MemoryTelemetry();
      const processor = new CascadeProcessor({
        db: sdb,
        store,
        now: () => Date.parse(recorded ?? '') + 2_500,
        instrumentation: telemetry.instrumentation,
      });
      const ctx = { log: pino({ level: 'silent' }), fence: async () => {} };
      const wanted = log.filter(processor.wants);
      // Handled twice, as after a crash or a takeover.
      await processor.handle(wanted, ctx);
      await processor.handle(wanted, ctx);
      const down = await store.readStream(endpointStream(tenantId, 'down-1'));
      const observed = down.filter((e) => e.type === 'UpstreamObserved');
      expect(observed.map((e) => e.type === 'UpstreamObserved' && e.data.response.runId)).toEqual([
        'after-edge',
      ]);
      expect(down.filter((e) => e.type === 'CascadeTriggered')).toHaveLength(1);
      // One hop, counted once (the second handling was a duplicate); no queue: deferred.
      const counted = await hops(telemetry);
      await telemetry.shutdown();
      expect(counted.all).toMatchObject({ count: 1, min: 2.5, max: 2.5 });
      expect(counted.deferred.count).toBe(1);
    } finally {
      await store.close();
      await sdb.destroy();
    }
  });

  it('observes a response even when the read model has not yet seen the edge it came through', async () => {
    const store = createPostgresEventStore({ connectionString: serviceUrl, maxConnections: 2 });
    const sdb = createSchedulingDb({ connectionString: serviceUrl, max: 2 });
    const log = pino({ level: 'silent' });
    try {
      await register(store, 'up-2', { baseline: { kind: 'interval', everyMs: 60_000 } });
      await register(store, 'down-2', {});
      // The projection writes down-2's row now, before the edge exists: a copy that is behind.
      await runToHead(new SchedulingProjection({ db: sdb, store }), { store, db: sdb, log });
      await declareEdges(store, tenantId, 'down-2', [{ upstream: 'up-2' }]);
      const at = new Date().toISOString();
      await store.append(
        endpointStream(tenantId, 'up-2'),
        [
          makeEvent(
            'ResponseRecorded',
            {
              runId: 'run-up-2',
              startedAt: at,
              finishedAt: at,
              durationMs: 1,
              status: 200,
              ok: true,
              headers: {},
              body: null,
              bodyTruncated: false,
            },
            { tenantId, actor: { kind: 'system', id: 'test' } },
          ),
        ],
        { expectedVersion: 'any' },
      );
      const processor = new CascadeProcessor({ db: sdb, store });
      const events = (await store.readAll({ after: 0 })).filter(processor.wants);
      await processor.handle(events, { log, fence: async () => {} });
      const down = await store.readStream(endpointStream(tenantId, 'down-2'));
      expect(down.map((e) => e.type)).toContain('UpstreamObserved');
      expect(down.map((e) => e.type)).toContain('CascadeTriggered');
    } finally {
      await store.close();
      await sdb.destroy();
    }
  });
});
