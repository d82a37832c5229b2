/** The pipeline's figures as an operator reads them from the meter agree with the log. */
import { randomUUID } from 'node:crypto';
import { endpointDecider, endpointStream, type RecordedEvent } from '@orrery/domain';
import { handleCommand, migrateDatabase } from '@orrery/event-store';
import { InProcessQueue } from '@orrery/queue';
import {
  MemoryTelemetry,
  startTargetServer,
  useTestDatabase,
  waitFor,
  type TargetServer,
} from '@orrery/testkit';
import pino from 'pino';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { DISPATCH_OUTCOME, DISPATCHER_METRICS } from './dispatcher/dispatcher-metrics.js';
import { EXECUTOR_METRICS } from './executor/executor-metrics.js';
import { schedulingMigrations } from './migrations/index.js';
import { startRuntime } from './runtime.js';

const db = useTestDatabase();
const telemetry = new MemoryTelemetry();
let target: TargetServer;

beforeAll(async () => {
  await migrateDatabase(db().url, undefined, schedulingMigrations);
  target = await startTargetServer();
});
afterAll(async () => {
  await target.close();
  await telemetry.shutdown();
});

const ofType = (events: readonly RecordedEvent[], type: RecordedEvent['type']) =>
  events.filter((e) => e.type === type);

it('counts every dispatch and recorded run the log holds, and the lateness the read model shows', async () => {
  const runtime = await startRuntime({
    connectionString: db().url,
    queue: new InProcessQueue(),
    log: pino({ level: 'silent' }),
    roles: ['projection', 'dispatcher', 'executor'],
    executor: { http: { allowLoopback: true } },
    instrumentation: telemetry.instrumentation,
  });
  const { store } = runtime;
  const ids = Array.from({ length: 5 }, () => `e${randomUUID().slice(0, 8)}`);
  for (const endpointId of ids) {
    await handleCommand(
      store,
      endpointDecider,
      endpointStream('t1', endpointId),
      {
        type: 'Register',
        endpointId,
        jobId: 'j1',
        tenantId: 't1',
        config: {
          name: endpointId,
          request: { url: `${target.url}/${endpointId}` },
          baseline: { kind: 'interval', everyMs: 200 },
        },
      },
      { now: Date.now, metadata: { tenantId: 't1', actor: { kind: 'user', id: 'u1' } } },
    );
  }
  const streams = () => Promise.all(ids.map((id) => store.readStream(endpointStream('t1', id))));
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
  const events = (await streams()).flat();
  const runs = await runtime.db.selectFrom('runs').select('lateness_ms').execute();
  await runtime.stop();

  const seen = await telemetry.totals();
  const dispatched = ofType(events, 'RunDispatched').length;
  expect(seen.sum(DISPATCHER_METRICS.claims, { [DISPATCH_OUTCOME]: 'dispatched' })).toBe(
    dispatched,
  );
  expect(seen.sum(EXECUTOR_METRICS.recordedRuns)).toBe(ofType(events, 'ResponseRecorded').length);
  const lateness = seen.histogram(DISPATCHER_METRICS.lateness);
  expect(lateness.count).toBe(runs.length);
  expect(lateness.max * 1000).toBeCloseTo(Math.max(...runs.map((r) => r.lateness_ms)), 6);
  expect(seen.histogram(EXECUTOR_METRICS.runDuration).count).toBeGreaterThanOrEqual(10);
});
