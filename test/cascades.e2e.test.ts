import type { EventStore } from '@orrery/domain';
import { createPostgresEventStore, migrateDatabase } from '@orrery/event-store';
import { freePort } from '@orrery/postgres';
import { schedulingMigrations } from '@orrery/scheduling';
import { SecretBox } from '@orrery/secrets';
import {
  deleteKeysWithPrefix,
  describeWithRedis,
  redisUrl,
  startTargetServer,
  uniquePrefix,
  useTestDatabase,
  waitFor,
  type TargetServer,
} from '@orrery/testkit';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { startApiProcess, type ApiProcess } from './support/api-process.js';
import {
  callsTo,
  ofType,
  queryOf,
  runsOf,
  Script,
  streamOf,
  TenantApi,
} from './support/cascade-world.js';
import { ServiceGroup, type ServiceProcess } from './support/service-process.js';
import { waitUntilNone } from './support/wait-until-none.js';

/**
 * The acceptance scenarios, end to end: the API, the projection (which hosts the cascade
 * processor), a dispatcher and two executors as separate processes over Postgres and BullMQ,
 * calling a loopback target that answers scripted JSON. Every wait is for the outcome that
 * proves it, bounded; no check depends on how fast anything ran.
 */
const db = useTestDatabase();
const ADMIN_KEY = 'cascade-e2e-admin-key-0123456789';
const TENANT = 'casc';
const READY_MS = 120_000;
const WAIT_MS = 60_000;
/** Lease = the endpoint's timeout (2 s) + this: a killed executor's runs come back after 3.5 s. */
const LEASE_MARGIN_MS = 1_500;

describeWithRedis('cascades across services: api, projection, dispatcher, two executors', () => {
  const prefix = uniquePrefix('cascades-e2e');
  const services = new ServiceGroup();
  const script = new Script();
  let api: ApiProcess | undefined;
  let target: TargetServer;
  let store: EventStore;
  let tenant: TenantApi;
  let executors: ServiceProcess[] = [];
  /** Calls the target holds (delayed answers) per path prefix. */
  const inFlight = new Map<string, number>();

  beforeAll(async () => {
    target = await startTargetServer({
      respond: script.respond,
      status: (path) => (failing && path.startsWith('/breaker/up') ? 500 : 200),
      delayMs: (path) => {
        if (!path.startsWith('/ingest/processing')) return 0;
        inFlight.set('processing', (inFlight.get('processing') ?? 0) + 1);
        setTimeout(() => inFlight.set('processing', (inFlight.get('processing') ?? 1) - 1), 800);
        return 800;
      },
    });
    const url = db().url;
    await migrateDatabase(url, undefined, schedulingMigrations);
    store = createPostgresEventStore({ connectionString: url, maxConnections: 2 });
    const port = await freePort();
    api = startApiProcess({
      baseUrl: `http://127.0.0.1:${port}`,
      env: {
        DATABASE_URL: url,
        PORT: String(port),
        HOST: '127.0.0.1',
        ORRERY_SECRET_KEY: SecretBox.generateKey(),
        ORRERY_ADMIN_KEY: ADMIN_KEY,
        ALLOW_LOOPBACK: 'true',
        RATE_LIMIT_PER_MINUTE: '100000',
        LOG_LEVEL: 'warn',
      },
    });
    const env = {
      DATABASE_URL: url,
      REDIS_URL: redisUrl(),
      QUEUE_PREFIX: prefix,
      LOG_LEVEL: 'info',
      MIGRATE: 'false',
    };
    services.start({
      service: 'projection',
      label: 'projection',
      env: { ...env, LEASE_MARGIN_MS: String(LEASE_MARGIN_MS) },
      readyTimeoutMs: READY_MS,
    });
    services.start({
      service: 'dispatcher',
      label: 'dispatcher',
      env: { ...env, LEASE_MARGIN_MS: String(LEASE_MARGIN_MS) },
      readyTimeoutMs: READY_MS,
    });
    executors = [1, 2].map((n) =>
      services.start({
        service: 'executor',
        label: `executor-${n}`,
        env: { ...env, ALLOW_LOOPBACK: 'true', EXECUTOR_ID: `executor-${n}` },
        readyTimeoutMs: READY_MS,
      }),
    );
    await Promise.all([api.ready(READY_MS), ...services.all.map((s) => s.ready)]);

    const admin = new TenantApi(api.baseUrl, ADMIN_KEY);
    await admin.ok('POST', '/v1/admin/tenants', { id: TENANT, name: 'Cascades' });
    const key = await admin.ok('POST', `/v1/admin/tenants/${TENANT}/keys`, { name: 'e2e' });
    tenant = new TenantApi(api.baseUrl, key.key);
  }, READY_MS + 60_000);

  afterAll(async () => {
    await services.stopAll(5_000);
    await api?.stop();
    await store?.close();
    await target?.close();
    await deleteKeysWithPrefix(prefix);
  });

  let failing = true;
  /** On failure: the services' problems and the scenario's streams, for the report. */
  const dumpOnFailure = (onTestFailed: (fn: () => Promise<void>) => void, ids: string[]) =>
    onTestFailed(async () => {
      console.error(services.report());
      for (const id of ids) {
        for (const e of await streamOf(store, TENANT, id)) {
          const { body: _body, request: _request, ...data } = e.data as Record<string, unknown>;
          console.error(id, e.position, e.type, e.recordedAt, JSON.stringify(data).slice(0, 300));
        }
      }
    });
  /** Where the last edge into `endpointId` was declared: it sees only responses after it. */
  const edgesDeclaredAt = async (endpointId: string) =>
    Math.max(
      ...ofType(await streamOf(store, TENANT, endpointId), 'DependencyDeclared').map(
        (e) => e.position,
      ),
    );
  const url = (path: string) => `${target.url}${path}`;
  const quick = { timeoutMs: 2_000 };

  it('ETL in one job: each stage runs once per batch, in order, the batch id flowing through templates', async ({
    onTestFailed,
  }) => {
    dumpOnFailure(onTestFailed, ['extract', 'transform', 'load', 'verify']);
    let extracted = 0;
    script.on('/etl/extract', () => ({ batch_id: `b${++extracted}`, ready_for_next_stage: true }));
    script.on('/etl/', (_r, u) => ({
      batch_id: u.searchParams.get('batch'),
      ready_for_next_stage: true,
    }));
    await tenant.job('etl');
    await tenant.endpoint('etl', {
      id: 'extract',
      name: 'extract',
      request: { url: url('/etl/extract') },
      baseline: { kind: 'interval', everyMs: 700 },
      start: { kind: 'immediately' },
      ...quick,
    });
    const stages = ['transform', 'load', 'verify'];
    let previous = 'extract';
    for (const stage of stages) {
      await tenant.endpoint('etl', {
        id: stage,
        name: stage,
        request: { url: url(`/etl/${stage}?batch={{ upstream.${previous}.body.batch_id }}`) },
        baseline: { kind: 'none' },
        dependsOn: [{ upstream: previous, condition: 'body.ready_for_next_stage == true' }],
        ...quick,
      });
      previous = stage;
    }
    await waitFor(
      'three batches verified',
      () => (callsTo(target.requests, '/etl/verify').length >= 3 ? true : undefined),
      { timeoutMs: WAIT_MS },
    );
    await tenant.ok('POST', '/v1/endpoints/extract/pause', { until: null });
    const produced = await waitFor(
      'the extract runs all answered',
      async () => {
        const events = await streamOf(store, TENANT, 'extract');
        const dispatched = new Set(ofType(events, 'RunDispatched').map((e) => e.data.runId));
        const answered = ofType(events, 'ResponseRecorded');
        return answered.length === dispatched.size
          ? answered.map((e) => (e.data.body as { batch_id: string }).batch_id)
          : undefined;
      },
      { timeoutMs: WAIT_MS },
    );
    // Nothing lost: every batch extracted reaches the last stage.
    await waitUntilNone(
      'every extracted batch verified',
      async () => {
        const verified = new Set(
          callsTo(target.requests, '/etl/verify').map((r) => queryOf(r, 'batch')),
        );
        return produced.filter((batch) => !verified.has(batch));
      },
      { timeoutMs: WAIT_MS },
    );
    for (const batch of produced) {
      const calls = stages.map((stage) =>
        callsTo(target.requests, `/etl/${stage}`).filter((r) => queryOf(r, 'batch') === batch),
      );
      expect(
        calls.map((c) => c.length),
        `calls per stage for ${batch}`,
      ).toEqual([1, 1, 1]);
      const times = calls.map((c) => c[0]?.at ?? 0);
      expect(
        [...times].sort((a, b) => a - b),
        `stage order for ${batch}`,
      ).toEqual(times);
    }
    // Each stage's run belongs to the cascade its extract run started, one hop further down.
    const verifyRuns = await runsOf(store, TENANT, 'verify');
    expect(verifyRuns.every((r) => r.data.cascade?.depth === 3)).toBe(true);
    expect(verifyRuns[0]?.data.cascade?.chain).toEqual(['extract', 'transform', 'load', 'verify']);
  });

  it('three jobs: a correlated fan-in runs processing once per batch through a killed executor; reporting waits for it', async ({
    onTestFailed,
  }) => {
    dumpOnFailure(onTestFailed, ['source-a', 'source-b', 'processing', 'reporting']);
    let a = 0;
    let b = 0;
    script.on('/ingest/a', () => ({ batch_id: ++a, ready: true }));
    // Source b is not ready for every fourth batch: those batches are never processed.
    script.on('/ingest/b', () => ({ batch_id: ++b, ready: b % 4 !== 0 }));
    script.on('/ingest/processing', (_r, u) => {
      const batch = Number(u.searchParams.get('batch'));
      return { batch_id: batch, status: batch % 3 === 0 ? 'partial' : 'complete' };
    });
    for (const job of ['ingestion', 'processing', 'reporting']) await tenant.job(job);
    await tenant.endpoint('ingestion', {
      id: 'source-a',
      name: 'source a',
      request: { url: url('/ingest/a') },
      baseline: { kind: 'interval', everyMs: 500 },
      start: { kind: 'immediately' },
      ...quick,
    });
    await tenant.endpoint('ingestion', {
      id: 'source-b',
      name: 'source b',
      request: { url: url('/ingest/b') },
      baseline: { kind: 'interval', everyMs: 650 },
      start: { kind: 'immediately' },
      ...quick,
    });
    await tenant.endpoint('processing', {
      id: 'processing',
      name: 'processing',
      request: { url: url('/ingest/processing?batch={{ cascade.correlation }}') },
      baseline: { kind: 'none' },
      fanIn: { combine: 'all', correlation: 'body.batch_id' },
      dependsOn: [
        { upstream: 'source-a', name: 'a', condition: 'body.ready' },
        { upstream: 'source-b', name: 'b', condition: 'body.ready' },
      ],
      ...quick,
    });
    await tenant.endpoint('reporting', {
      id: 'reporting',
      name: 'reporting',
      request: { url: url('/ingest/report') },
      baseline: { kind: 'interval', everyMs: 400 },
      start: { kind: 'immediately' },
      dependsOn: [{ upstream: 'processing', mode: 'gate', condition: 'body.status == "complete"' }],
      ...quick,
    });

    // Mid-cascade, while the target holds a processing call, an executor dies outright.
    await waitFor(
      'a processing call in flight',
      () =>
        (inFlight.get('processing') ?? 0) > 0 &&
        callsTo(target.requests, '/ingest/processing').length >= 2
          ? true
          : undefined,
      { timeoutMs: WAIT_MS, intervalMs: 5 },
    );
    const victim = executors[0];
    if (!victim) throw new Error('no executor');
    victim.kill('SIGKILL');
    expect((await victim.stopped).signal).toBe('SIGKILL');
    await waitFor(
      'six batches processed',
      () => (callsTo(target.requests, '/ingest/processing').length >= 6 ? true : undefined),
      { timeoutMs: WAIT_MS },
    );
    await tenant.pauseJob('ingestion');

    // What the sources said, from the log: the batches both reported ready once the edges
    // existed (an edge never sees a response recorded before it was declared).
    const declaredAt = await edgesDeclaredAt('processing');
    const answers = async (id: string) =>
      ofType(await streamOf(store, TENANT, id), 'ResponseRecorded')
        .filter((e) => e.position > declaredAt)
        .map((e) => e.data.body as { batch_id: number; ready: boolean });
    const sourcesQuiet = async () => {
      for (const id of ['source-a', 'source-b']) {
        const events = await streamOf(store, TENANT, id);
        const dispatched = new Set(ofType(events, 'RunDispatched').map((e) => e.data.runId));
        if (ofType(events, 'ResponseRecorded').length !== dispatched.size) return undefined;
      }
      return true;
    };
    await waitFor('the sources answered every run', sourcesQuiet, { timeoutMs: WAIT_MS });
    const readyA = new Set(
      (await answers('source-a')).filter((x) => x.ready).map((x) => x.batch_id),
    );
    const both = (await answers('source-b'))
      .filter((x) => x.ready && readyA.has(x.batch_id))
      .map((x) => x.batch_id);
    const notReady = (await answers('source-b')).filter((x) => !x.ready).map((x) => x.batch_id);

    // Nothing lost: every batch both reported ready is processed and its response recorded.
    await waitUntilNone(
      'every ready batch processed',
      async () => {
        const events = await streamOf(store, TENANT, 'processing');
        const done = ofType(events, 'ResponseRecorded').map(
          (e) => (e.data.body as { batch_id: number }).batch_id,
        );
        return both.filter((batch) => !done.includes(batch)).map((batch) => `batch ${batch}`);
      },
      { timeoutMs: WAIT_MS },
    );

    // Nothing run twice for one batch: one run per correlation value (a call repeated after the
    // kill carries that run's Idempotency-Key), and none for a batch b was not ready for.
    const calls = callsTo(target.requests, '/ingest/processing');
    const runsByBatch = new Map<number, Set<string>>();
    for (const call of calls) {
      const batch = Number(queryOf(call, 'batch'));
      const keys = runsByBatch.get(batch) ?? new Set<string>();
      keys.add(String(call.headers['idempotency-key']));
      runsByBatch.set(batch, keys);
    }
    expect([...runsByBatch.keys()].sort((x, y) => x - y)).toEqual([...both].sort((x, y) => x - y));
    for (const [batch, keys] of runsByBatch) expect(keys.size, `runs for batch ${batch}`).toBe(1);
    expect(notReady.some((batch) => runsByBatch.has(batch))).toBe(false);
    const fired = ofType(await streamOf(store, TENANT, 'processing'), 'CascadeTriggered');
    expect(fired.map((e) => Number(e.data.correlation)).sort((x, y) => x - y)).toEqual(
      [...both].sort((x, y) => x - y),
    );

    // Reporting never ran before processing completed a batch, and each of its runs came after
    // a complete processing answer it had not yet used (since its last run).
    await tenant.pauseJob('reporting');
    const processed = ofType(await streamOf(store, TENANT, 'processing'), 'ResponseRecorded')
      .filter((e) => (e.data.body as { status: string }).status === 'complete')
      .map((e) => Date.parse(e.data.finishedAt));
    const reports = await runsOf(store, TENANT, 'reporting');
    expect(reports.length).toBeGreaterThan(0);
    let previous = 0;
    for (const run of reports) {
      const at = Date.parse(run.data.dispatchedAt);
      expect(
        processed.some((t) => t > previous && t < at),
        `report ${run.data.runId}`,
      ).toBe(true);
      previous = at;
    }
    const skipped = ofType(await streamOf(store, TENANT, 'reporting'), 'RunSkipped');
    expect(skipped.length).toBeGreaterThan(0);
    expect(
      skipped.every(
        (s) => s.data.reason === 'gate_closed' && s.data.edgeId === 'processing.reporting',
      ),
    ).toBe(true);
  });

  it('an orchestrator triggers each worker exactly on the ticks that name it', async ({
    onTestFailed,
  }) => {
    dumpOnFailure(onTestFailed, ['orch', 'worker-1', 'worker-2', 'worker-3']);
    const plan = [['worker-1'], ['worker-2', 'worker-3'], [], ['worker-1', 'worker-3']];
    let tick = 0;
    script.on('/orch/orch', () => ({ endpoints_to_trigger: plan[tick++ % plan.length] }));
    await tenant.job('orchestration');
    await tenant.job('workers');
    await tenant.endpoint('orchestration', {
      id: 'orch',
      name: 'orchestrator',
      request: { url: url('/orch/orch') },
      baseline: { kind: 'interval', everyMs: 400 },
      start: { kind: 'immediately' },
      ...quick,
    });
    const workers = ['worker-1', 'worker-2', 'worker-3'];
    for (const worker of workers) {
      await tenant.endpoint('workers', {
        id: worker,
        name: worker,
        request: { url: url(`/orch/${worker}`) },
        baseline: { kind: 'none' },
        dependsOn: [
          { upstream: 'orch', condition: `"${worker}" in upstream.orch.body.endpoints_to_trigger` },
        ],
        ...quick,
      });
    }
    await waitFor('eight ticks', () => (tick >= 8 ? true : undefined), { timeoutMs: WAIT_MS });
    await tenant.ok('POST', '/v1/endpoints/orch/pause', { until: null });
    const ticks = await waitFor(
      'every tick recorded',
      async () => {
        const events = await streamOf(store, TENANT, 'orch');
        const dispatched = new Set(ofType(events, 'RunDispatched').map((e) => e.data.runId));
        const answered = ofType(events, 'ResponseRecorded');
        return answered.length === dispatched.size ? answered : undefined;
      },
      { timeoutMs: WAIT_MS },
    );
    const declaredAt = new Map<string, number>();
    for (const worker of workers) declaredAt.set(worker, await edgesDeclaredAt(worker));
    // The ticks each worker's edge saw (those after it was declared) that named the worker.
    const named = (worker: string) =>
      ticks
        .filter((t) => t.position > (declaredAt.get(worker) ?? 0))
        .filter((t) =>
          (t.data.body as { endpoints_to_trigger: string[] }).endpoints_to_trigger.includes(worker),
        )
        .map((t) => t.data.runId)
        .sort();
    await waitUntilNone(
      'every named worker ran',
      async () => {
        const missing: string[] = [];
        for (const worker of workers) {
          const roots = new Set(
            (await runsOf(store, TENANT, worker)).map((r) => r.data.cascade?.root),
          );
          missing.push(
            ...named(worker)
              .filter((id) => !roots.has(id))
              .map((id) => `${worker} for ${id}`),
          );
        }
        return missing;
      },
      { timeoutMs: WAIT_MS },
    );
    for (const worker of workers) {
      const roots = (await runsOf(store, TENANT, worker))
        .map((r) => r.data.cascade?.root ?? '')
        .sort();
      expect(roots, worker).toEqual(named(worker));
    }
  });

  it('load shedding: no low-priority run while the monitor says to shed, and they resume after', async ({
    onTestFailed,
  }) => {
    dumpOnFailure(onTestFailed, ['monitor', 'low-1', 'low-2']);
    let shed = false;
    script.on('/ops/monitor', () => ({ pause_low_priority: shed }));
    await tenant.job('ops');
    await tenant.job('batchwork');
    await tenant.endpoint('ops', {
      id: 'monitor',
      name: 'monitor',
      request: { url: url('/ops/monitor') },
      baseline: { kind: 'interval', everyMs: 300 },
      start: { kind: 'immediately' },
      ...quick,
    });
    const low = ['low-1', 'low-2'];
    for (const id of low) {
      await tenant.endpoint('batchwork', {
        id,
        name: id,
        request: { url: url(`/ops/${id}`) },
        baseline: { kind: 'interval', everyMs: 250 },
        start: { kind: 'immediately' },
        dependsOn: [
          {
            upstream: 'monitor',
            mode: 'gate',
            condition: '!body.pause_low_priority',
            freshness: { kind: 'duration', ms: 5_000 },
          },
        ],
        ...quick,
      });
    }
    const lowRuns = async (id: string) => (await runsOf(store, TENANT, id)).length;
    await waitFor(
      'low-priority work running',
      async () =>
        (await lowRuns('low-1')) >= 2 && (await lowRuns('low-2')) >= 2 ? true : undefined,
      { timeoutMs: WAIT_MS },
    );
    shed = true;
    // From the moment each endpoint has seen the monitor say so, none of its runs is made.
    const sawShed = await Promise.all(
      low.map((id) =>
        waitFor(
          `${id} sees the shed`,
          async () =>
            ofType(await streamOf(store, TENANT, id), 'UpstreamObserved').find(
              (e) => !e.data.satisfied,
            ),
          { timeoutMs: WAIT_MS },
        ),
      ),
    );
    const monitorRuns = async () =>
      ofType(await streamOf(store, TENANT, 'monitor'), 'ResponseRecorded').length;
    const before = await monitorRuns();
    await waitFor(
      'four more monitor answers',
      async () => ((await monitorRuns()) >= before + 4 ? true : undefined),
      { timeoutMs: WAIT_MS },
    );
    for (const [i, id] of low.entries()) {
      const events = await streamOf(store, TENANT, id);
      const after = events.filter((e) => e.position > (sawShed[i]?.position ?? 0));
      expect(ofType(after, 'RunDispatched'), `${id} ran while shedding`).toEqual([]);
      expect(ofType(after, 'RunSkipped').length, `${id} skipped its slots`).toBeGreaterThan(0);
    }
    shed = false;
    await waitFor(
      'low-priority work resumed',
      async () => {
        const events = await streamOf(store, TENANT, 'low-1');
        const last = ofType(events, 'UpstreamObserved').at(-1);
        return last?.data.satisfied &&
          ofType(events, 'RunDispatched').some((r) => r.position > last.position)
          ? true
          : undefined;
      },
      { timeoutMs: WAIT_MS },
    );
    await tenant.pauseJob('ops');
    await tenant.pauseJob('batchwork');
    // Over the whole run: every low-priority run was decided with the monitor's latest answer
    // (as the endpoint had observed it) saying not to shed.
    for (const id of low) {
      const events = await streamOf(store, TENANT, id);
      for (const run of ofType(events, 'RunDispatched')) {
        const seen = ofType(
          events.filter((e) => e.position < run.position),
          'UpstreamObserved',
        ).at(-1);
        expect(seen?.data.satisfied, `${id} ${run.data.runId}`).toBe(true);
      }
    }
  });

  /** Endpoint bodies of the last two scenarios (trigger-only unless told otherwise). */
  const misc =
    (job: string) =>
    (id: string, body: Record<string, unknown> = {}) =>
      tenant.endpoint(job, {
        id,
        name: id,
        request: { url: url(`/misc/${id}`) },
        baseline: { kind: 'none' },
        ...quick,
        ...body,
      });
  const every = (ms: number, startAt?: number) => ({
    baseline: { kind: 'interval', everyMs: ms },
    start:
      startAt === undefined
        ? { kind: 'immediately' }
        : { kind: 'at', at: new Date(startAt).toISOString() },
  });

  it('a diamond joins once per top run; a false condition, a stale upstream and a missing template value run nothing', async ({
    onTestFailed,
  }) => {
    dumpOnFailure(onTestFailed, [
      'dia-a',
      'dia-b',
      'dia-c',
      'dia-d',
      'stale-1',
      'stale-2',
      'stale-join',
      'tmpl',
    ]);
    script.on('/misc/w', () => ({ x: 1 }));
    await tenant.job('shapes');
    const endpoint = misc('shapes');
    // Diamond: A → B, A → C, B + C → D, correlated on the cascade's root: D once per A run.
    await endpoint('dia-a', every(600));
    await endpoint('dia-b', { dependsOn: [{ upstream: 'dia-a' }] });
    await endpoint('dia-c', { dependsOn: [{ upstream: 'dia-a' }] });
    await endpoint('dia-d', {
      fanIn: { correlation: 'cascade.root' },
      dependsOn: [{ upstream: 'dia-b' }, { upstream: 'dia-c' }],
    });
    // A false condition: never triggers.
    await endpoint('false-up', every(400));
    await endpoint('false-down', {
      dependsOn: [{ upstream: 'false-up', condition: 'status == 418' }],
    });
    // A template whose value is missing: a failed run naming it, and no call.
    await endpoint('w', every(500));
    await endpoint('tmpl', {
      request: { url: url('/misc/tmpl?batch={{ upstream.w.body.batch_id }}') },
      dependsOn: [{ upstream: 'w' }],
    });
    // Stale: stale-1 answers once; stale-2 starts answering 1.5 s after it, and each answer
    // counts for 1 s only, so the two are never fresh together and the join never fires.
    await endpoint('stale-1', every(3_600_000));
    const first = await waitFor(
      'stale-1 answered',
      async () => ofType(await streamOf(store, TENANT, 'stale-1'), 'ResponseRecorded')[0],
      { timeoutMs: WAIT_MS },
    );
    await endpoint('stale-2', every(500, Date.parse(first.data.finishedAt) + 1_500));
    await endpoint('stale-join', {
      dependsOn: [
        { upstream: 'stale-1', freshness: { kind: 'duration', ms: 1_000 } },
        { upstream: 'stale-2', freshness: { kind: 'duration', ms: 1_000 } },
      ],
    });

    const failed = await waitFor(
      'the template failure recorded',
      async () => ofType(await streamOf(store, TENANT, 'tmpl'), 'ResponseRecorded')[0],
      { timeoutMs: WAIT_MS },
    );
    expect(failed.data.error).toMatchObject({ kind: 'template' });
    expect(failed.data.error?.message).toMatch(/upstream\.w\.body\.batch_id.*batch_id/);
    const runs = await tenant.ok('GET', '/v1/endpoints/tmpl/runs');
    expect(runs.items[0]).toMatchObject({ outcome: 'template' });

    await waitFor(
      'three diamond joins',
      async () => ((await runsOf(store, TENANT, 'dia-d')).length >= 3 ? true : undefined),
      { timeoutMs: WAIT_MS },
    );
    await waitFor(
      'stale-2 answered three times',
      async () =>
        ofType(await streamOf(store, TENANT, 'stale-2'), 'ResponseRecorded').length >= 3
          ? true
          : undefined,
      { timeoutMs: WAIT_MS },
    );
    // Only the top stops: the runs it started go down the whole diamond.
    await tenant.ok('POST', '/v1/endpoints/dia-a/pause', { until: null });
    // A top run answered before the diamond's last edge existed is not the diamond's.
    const wired = await edgesDeclaredAt('dia-d');
    await waitUntilNone(
      'every diamond top run joined',
      async () => {
        const answered = ofType(await streamOf(store, TENANT, 'dia-a'), 'ResponseRecorded').filter(
          (e) => e.position > wired,
        );
        const joins = new Set(
          (await runsOf(store, TENANT, 'dia-d')).map((r) => r.data.cascade?.root),
        );
        return answered.map((e) => e.data.runId).filter((id) => !joins.has(id));
      },
      { timeoutMs: WAIT_MS },
    );
    await tenant.pauseJob('shapes');
    const joins = (await runsOf(store, TENANT, 'dia-d')).map((r) => r.data.cascade?.root);
    expect(new Set(joins).size).toBe(joins.length);

    expect(await runsOf(store, TENANT, 'false-down')).toEqual([]);
    const judged = ofType(await streamOf(store, TENANT, 'false-down'), 'UpstreamObserved');
    expect(judged.length).toBeGreaterThan(0);
    expect(judged.every((e) => !e.data.satisfied)).toBe(true);
    expect(await runsOf(store, TENANT, 'stale-join')).toEqual([]);
    const staleJudged = ofType(await streamOf(store, TENANT, 'stale-join'), 'UpstreamObserved');
    expect(staleJudged.filter((e) => e.data.satisfied).length).toBeGreaterThanOrEqual(2);
    expect(callsTo(target.requests, '/misc/tmpl')).toEqual([]);
  });

  it('cycles are refused with their path, also between concurrent declarations; the depth limit; the breaker', async ({
    onTestFailed,
  }) => {
    dumpOnFailure(onTestFailed, ['breaker-up', 'breaker-down', 'line-16', 'line-17']);
    await tenant.job('rules');
    const endpoint = misc('rules');
    // Cycles are refused with their path, also between two declarations at once.
    await endpoint('cyc-p');
    await endpoint('cyc-q', { dependsOn: [{ upstream: 'cyc-p' }] });
    const cycle = await tenant.call('POST', '/v1/dependencies', {
      downstream: 'cyc-p',
      upstream: 'cyc-q',
    });
    expect(cycle.status).toBe(422);
    expect(cycle.body.detail).toMatch(/cyc-p → cyc-q → cyc-p|cyc-q → cyc-p → cyc-q/);
    for (let i = 0; i < 5; i++) {
      await endpoint(`race-${i}-r`);
      await endpoint(`race-${i}-s`);
      const answers = await Promise.all([
        tenant.call('POST', '/v1/dependencies', {
          downstream: `race-${i}-s`,
          upstream: `race-${i}-r`,
        }),
        tenant.call('POST', '/v1/dependencies', {
          downstream: `race-${i}-r`,
          upstream: `race-${i}-s`,
        }),
      ]);
      expect(
        answers.map((a) => a.status).sort(),
        JSON.stringify(answers.map((a) => a.body)),
      ).toEqual([201, 422]);
    }
    // The breaker: after three failed upstream runs the downstream is held, until one succeeds.
    await tenant.endpoint('rules', {
      id: 'breaker-up',
      name: 'breaker-up',
      request: { url: url('/breaker/up') },
      ...every(200),
      ...quick,
    });
    await endpoint('breaker-down', {
      ...every(200),
      dependsOn: [
        {
          upstream: 'breaker-up',
          mode: 'gate',
          condition: 'true',
          freshness: { kind: 'duration', ms: 60_000 },
          onUpstreamFailure: { afterFailures: 3 },
        },
      ],
    });
    // The depth limit: a line of 18 endpoints; the 17th hop is refused.
    const line = Array.from({ length: 18 }, (_, i) => `line-${i}`);
    await endpoint('line-0', every(3_600_000, Date.now() + 3_600_000));
    for (let i = 1; i < line.length; i++) {
      await endpoint(line[i] ?? '', { dependsOn: [{ upstream: line[i - 1] }] });
    }
    await tenant.ok('POST', '/v1/endpoints/line-0/run', { reason: 'start the line' });

    const last = line.at(-1) ?? '';
    const refused = await waitFor(
      'the over-deep hop refused',
      async () => ofType(await streamOf(store, TENANT, last), 'CascadeRefused')[0],
      { timeoutMs: WAIT_MS },
    );
    expect(refused.data.rule).toBe('depth_limit');
    expect(await runsOf(store, TENANT, line[16] ?? '')).toHaveLength(1);
    expect(await runsOf(store, TENANT, last)).toEqual([]);

    const open = await waitFor(
      'the breaker opened',
      async () => ofType(await streamOf(store, TENANT, 'breaker-down'), 'UpstreamFailing')[0],
      { timeoutMs: WAIT_MS },
    );
    failing = false;
    const closed = await waitFor(
      'the breaker closed',
      async () => ofType(await streamOf(store, TENANT, 'breaker-down'), 'UpstreamRecovered')[0],
      { timeoutMs: WAIT_MS },
    );
    const held = (await streamOf(store, TENANT, 'breaker-down')).filter(
      (e) => e.position > open.position && e.position < closed.position,
    );
    expect(held.filter((e) => e.type === 'RunDispatched' || e.type === 'RunSkipped')).toEqual([]);
    await waitFor(
      'breaker-down runs again',
      async () =>
        (await runsOf(store, TENANT, 'breaker-down')).some((r) => r.position > closed.position)
          ? true
          : undefined,
      { timeoutMs: WAIT_MS },
    );
    await tenant.pauseJob('rules');

    // explain shows why a downstream waited: its gate, what it saw, and the breaker.
    const why = await tenant.ok('GET', '/v1/endpoints/breaker-down/explain');
    expect(why.dependencies.edges[0]).toMatchObject({
      edgeId: 'breaker-up.breaker-down',
      breaker: { open: false, afterFailures: 3 },
    });
    const atOpen = await tenant.ok('GET', `/v1/endpoints/breaker-down/explain?at=${open.position}`);
    expect(atOpen.next.reason).toBe('upstream_failing');
    expect(atOpen.dependencies.edges[0].breaker.open).toBe(true);
  });
});
