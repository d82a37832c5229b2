import { randomUUID } from 'node:crypto';
import {
  endpointDecider,
  endpointStream,
  type EndpointConfigInput,
  type RecordedEvent,
} from '@orrery/domain';
import { handleCommand, migrateDatabase } from '@orrery/event-store';
import { InProcessQueue } from '@orrery/queue';
import {
  serviceRoleUrl,
  startTargetServer,
  useTestDatabase,
  waitFor,
  type TargetServer,
} from '@orrery/testkit';
import pino from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { schedulingMigrations } from './migrations/index.js';
import { startRuntime, type Runtime } from './runtime.js';

// Dispatch ahead, end to end in one process: runs are dispatched up to AHEAD_MS before their
// slot, and every call starts at or after its slot — by the run records and by the target's own
// clock of when each request arrived.

const AHEAD_MS = 250;
const db = useTestDatabase();
const log = pino({ level: process.env['LOG_LEVEL'] ?? 'silent' });
const user = { tenantId: 't1', actor: { kind: 'user' as const, id: 'u1' } };
let target: TargetServer;
let runtime: Runtime | undefined;

beforeAll(async () => {
  await migrateDatabase(db().url, undefined, schedulingMigrations);
  target = await startTargetServer();
  runtime = await startRuntime({
    connectionString: await serviceRoleUrl(db()),
    queue: new InProcessQueue(),
    log,
    roles: ['projection', 'dispatcher', 'executor'],
    dispatcher: { aheadMs: AHEAD_MS },
    executor: { http: { allowLoopback: true } },
  });
});
afterAll(async () => {
  await runtime?.stop();
  await target.close();
});

async function register(store: Runtime['store'], config: Partial<EndpointConfigInput>) {
  const endpointId = `e${randomUUID().slice(0, 8)}`;
  const outcome = await handleCommand(
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
        // Long enough for a run to be answered and projected before the next slot's horizon opens,
        // even on a loaded machine: a run in flight keeps the next one from going ahead.
        baseline: { kind: 'interval', everyMs: 800 },
        start: { kind: 'immediately' },
        ...config,
      },
    },
    { now: Date.now, metadata: user },
  );
  expect(outcome.ok).toBe(true);
  return endpointId;
}

const ofType = <T extends RecordedEvent['type']>(events: readonly RecordedEvent[], type: T) =>
  events.filter((e): e is Extract<RecordedEvent, { type: T }> => e.type === type);

describe('dispatch ahead', () => {
  it('dispatches runs before their slot, and every call starts at or after its slot', async () => {
    if (!runtime) throw new Error('no runtime');
    const { store } = runtime;
    // Plain intervals, and intervals with jitter (their call waits for the jittered time).
    const ids = await Promise.all([
      ...Array.from({ length: 12 }, () => register(store, {})),
      ...Array.from({ length: 4 }, () => register(store, { jitterMs: 120 })),
    ]);
    const streams = await waitFor(
      '4 recorded responses per endpoint',
      async () => {
        const all = await Promise.all(ids.map((id) => store.readStream(endpointStream('t1', id))));
        const answered = all.every((events) => ofType(events, 'ResponseRecorded').length >= 4);
        const ahead = all.flatMap((events) =>
          ofType(events, 'RunDispatched').filter((d) => d.data.startAt !== undefined),
        );
        return answered && ahead.length > ids.length ? all : undefined;
      },
      { timeoutMs: 30_000 },
    );
    const dispatches = streams.flatMap((events) => ofType(events, 'RunDispatched'));
    const runs = new Map(dispatches.map((d) => [d.data.runId, d.data]));
    // The test means something only if runs did go ahead of their slot.
    const ahead = dispatches.filter((d) => d.data.startAt !== undefined);
    expect(ahead.length).toBeGreaterThan(ids.length);
    for (const { data } of ahead) {
      expect(Date.parse(data.dispatchedAt)).toBeLessThan(Date.parse(data.startAt ?? ''));
      expect(Date.parse(data.startAt ?? '')).toBeGreaterThanOrEqual(Date.parse(data.scheduledFor));
    }

    // By the run records: each call started at or after its slot (and its startAt).
    const early: string[] = [];
    for (const response of streams.flatMap((events) => ofType(events, 'ResponseRecorded'))) {
      const run = runs.get(response.data.runId);
      if (!run) throw new Error(`no dispatch for ${response.data.runId}`);
      const startedAt = Date.parse(response.data.startedAt);
      const notBefore = Math.max(Date.parse(run.scheduledFor), Date.parse(run.startAt ?? '0'));
      if (startedAt < notBefore) early.push(`${run.runId}: started ${startedAt - notBefore} ms`);
    }
    // By the target's clock: each request arrived at or after its run's slot.
    let seen = 0;
    for (const request of target.requests) {
      const run = runs.get(String(request.headers['idempotency-key']));
      if (!run) continue;
      seen++;
      const notBefore = Math.max(Date.parse(run.scheduledFor), Date.parse(run.startAt ?? '0'));
      if (request.at < notBefore) early.push(`${run.runId}: arrived ${request.at - notBefore} ms`);
    }
    expect(seen).toBeGreaterThanOrEqual(ids.length * 4);
    expect(early).toEqual([]);

    // The read model: never a negative lateness, and each call started at or after its slot.
    const rows = await runtime.db
      .selectFrom('runs')
      .select(['run_id', 'scheduled_for', 'started_at', 'lateness_ms'])
      .where('endpoint_id', 'in', ids)
      .where('started_at', 'is not', null)
      .execute();
    expect(rows.length).toBeGreaterThan(0);
    for (const row of rows) {
      expect(row.lateness_ms).toBeGreaterThanOrEqual(0);
      expect(new Date(row.started_at ?? 0).getTime()).toBeGreaterThanOrEqual(
        new Date(row.scheduled_for).getTime(),
      );
    }
  });
});
