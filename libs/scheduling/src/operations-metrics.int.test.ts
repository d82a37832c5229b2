/**
 * The operator's figures of issue 12 agree with the log: runs by outcome and proposals by rule
 * (counted by the projection), and the execute queue's depth and age (observed on collection).
 */
import { randomUUID } from 'node:crypto';
import { endpointDecider, endpointStream, type Proposal, type RecordedEvent } from '@orrery/domain';
import { handleCommand, migrateDatabase } from '@orrery/event-store';
import { BullmqQueue, InProcessQueue } from '@orrery/queue';
import {
  deleteKeysWithPrefix,
  describeWithRedis,
  MemoryTelemetry,
  redisUrl,
  startTargetServer,
  uniquePrefix,
  useTestDatabase,
  waitFor,
  type TargetServer,
} from '@orrery/testkit';
import pino from 'pino';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { QUEUE_ATTRIBUTES, QUEUE_METRICS, QueueMetrics } from './executor/queue-metrics.js';
import { schedulingMigrations } from './migrations/index.js';
import { PROJECTION_ATTRIBUTES as A, PROJECTION_METRICS } from './projection/projection-metrics.js';
import { startRuntime } from './runtime.js';

const db = useTestDatabase();
const metadata = { tenantId: 't1', actor: { kind: 'user' as const, id: 'u1' } };
let target: TargetServer;

beforeAll(async () => {
  await migrateDatabase(db().url, undefined, schedulingMigrations);
  // Paths starting /fail answer 500.
  target = await startTargetServer({ status: (path) => (path.startsWith('/fail') ? 500 : 200) });
});
afterAll(() => target.close());

const ofType = (events: readonly RecordedEvent[], type: RecordedEvent['type']) =>
  events.filter((e) => e.type === type);

async function register(store: Parameters<typeof handleCommand>[0], id: string, path: string) {
  const result = await handleCommand(
    store,
    endpointDecider,
    endpointStream('t1', id),
    {
      type: 'Register',
      endpointId: id,
      jobId: 'j1',
      tenantId: 't1',
      config: {
        name: id,
        request: { url: `${target.url}${path}` },
        baseline: { kind: 'interval', everyMs: 200 },
      },
    },
    { now: Date.now, metadata },
  );
  if (!result.ok) throw new Error(result.error.message);
}

async function propose(store: Parameters<typeof handleCommand>[0], id: string, p: Proposal) {
  const result = await handleCommand(
    store,
    endpointDecider,
    endpointStream('t1', id),
    { type: 'Propose', proposal: p },
    { now: Date.now, metadata },
  );
  if (!result.ok) throw new Error(result.error.message);
}

it('counts runs by outcome and proposals by outcome and rule, as the log holds them', async () => {
  const telemetry = new MemoryTelemetry();
  const runtime = await startRuntime({
    connectionString: db().url,
    queue: new InProcessQueue(),
    log: pino({ level: 'silent' }),
    roles: ['projection', 'dispatcher', 'executor'],
    executor: { http: { allowLoopback: true } },
    instrumentation: telemetry.instrumentation,
  });
  const { store } = runtime;
  const good = `e${randomUUID().slice(0, 8)}`;
  const bad = `e${randomUUID().slice(0, 8)}`;
  await register(store, good, `/ok/${good}`);
  await register(store, bad, `/fail/${bad}`);
  // A user's hint is accepted; a planner steering an endpoint it has no edge to is refused.
  await propose(store, good, {
    id: 'p-user',
    source: 'user',
    sourceId: 'u1',
    reason: 'test',
    action: { kind: 'interval', intervalMs: 250, ttlMs: 60_000 },
  });
  await propose(store, good, {
    id: 'p-planner',
    source: 'planner',
    sourceId: 'ps-1',
    fromEndpointId: bad,
    reason: 'test',
    action: { kind: 'interval', intervalMs: 300, ttlMs: 60_000 },
  });
  const streams = () =>
    Promise.all([good, bad].map((id) => store.readStream(endpointStream('t1', id))));
  await waitFor('2 responses per endpoint', async () =>
    (await streams()).every((events) => ofType(events, 'ResponseRecorded').length >= 2)
      ? true
      : undefined,
  );
  await runtime.dispatcher?.stop();
  await runtime.executor?.stop();
  await waitFor('the projection to catch up', async () =>
    (runtime.processors.find((p) => p.name === 'scheduling')?.position ?? 0) >=
    (await store.headPosition())
      ? true
      : undefined,
  );
  const [goodEvents = [], badEvents = []] = await streams();
  await runtime.stop();

  const seen = await telemetry.totals();
  const oks = ofType(goodEvents, 'ResponseRecorded').length;
  const fails = ofType(badEvents, 'ResponseRecorded').length;
  expect(oks).toBeGreaterThanOrEqual(2);
  expect(seen.sum(PROJECTION_METRICS.runs, { [A.runOutcome]: 'ok' })).toBe(oks);
  expect(seen.sum(PROJECTION_METRICS.runs, { [A.runOutcome]: 'http_error' })).toBe(fails);
  expect(seen.sum(PROJECTION_METRICS.runs)).toBe(oks + fails);

  const rejected = ofType(goodEvents, 'HintRejected');
  expect(rejected.map((e) => e.type === 'HintRejected' && e.data.rule)).toEqual(['ownership']);
  expect(
    seen.sum(PROJECTION_METRICS.hintProposals, {
      [A.hintOutcome]: 'rejected',
      [A.hintSource]: 'planner',
      [A.rule]: 'ownership',
    }),
  ).toBe(1);
  expect(
    seen.sum(PROJECTION_METRICS.hintProposals, {
      [A.hintOutcome]: 'accepted',
      [A.hintSource]: 'user',
    }),
  ).toBe(1);
  expect(seen.sum(PROJECTION_METRICS.hintProposals)).toBe(2);
  await telemetry.shutdown();
});

describeWithRedis('the execute queue’s depth and age', () => {
  const prefix = uniquePrefix('queue-metrics');
  afterAll(() => deleteKeysWithPrefix(prefix));

  it('are observed from BullMQ when a reader collects', async () => {
    const telemetry = new MemoryTelemetry();
    const queue = new BullmqQueue({ connection: redisUrl(), prefix });
    const payload = (runId: string) => ({
      runId,
      endpointId: 'e1',
      tenantId: 't1',
      scheduledFor: new Date().toISOString(),
      dispatchedAt: new Date().toISOString(),
      leaseUntil: new Date(Date.now() + 60_000).toISOString(),
      attempt: 1,
      request: { method: 'GET' as const, url: `${target.url}/q`, headers: {} },
      timeoutMs: 1_000,
      responseCapBytes: 1024,
    });
    const before = Date.now();
    await queue.enqueue('execute', [
      { id: 'q-1', data: payload('q-1') },
      { id: 'q-2', data: payload('q-2') },
    ]);
    const enqueued = Date.now();
    // No consumer: both jobs wait. The gauges are read from Redis when the reader collects.
    const metrics = new QueueMetrics(telemetry.instrumentation.meter, queue, ['execute'], Date.now);
    const seen = await telemetry.totals();
    const collected = Date.now();
    metrics.close();
    await queue.close();
    await telemetry.shutdown();
    const jobs = (state: string) =>
      seen.gauge(QUEUE_METRICS.jobs, {
        [QUEUE_ATTRIBUTES.name]: 'execute',
        [QUEUE_ATTRIBUTES.state]: state,
      });
    expect(jobs('waiting')).toBe(2);
    expect(jobs('active')).toBe(0);
    expect(jobs('delayed')).toBe(0);
    // The oldest job's age, bounded by the test's own clock readings around it.
    const age = seen.gauge(QUEUE_METRICS.oldestAge, { [QUEUE_ATTRIBUTES.name]: 'execute' });
    expect(age).toBeGreaterThanOrEqual(0);
    expect(age).toBeLessThanOrEqual((collected - before) / 1000);
    expect(enqueued).toBeGreaterThanOrEqual(before);
  });
});
