import { randomUUID } from 'node:crypto';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import {
  endpointDecider,
  endpointStream,
  fold,
  jobDecider,
  jobStream,
  type EndpointCommand,
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
import { sql } from 'kysely';
import pino from 'pino';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { schedulingMigrations } from './migrations/index.js';
import { createSchedulingDb } from './db.js';
import { ProcessorHost } from './processing/processor-host.js';
import { SchedulingProjection } from './projection/scheduling-projection.js';
import { startRuntime, type Runtime } from './runtime.js';

const db = useTestDatabase();
const log = pino({ level: process.env['LOG_LEVEL'] ?? 'silent' });
const user = { tenantId: 't1', actor: { kind: 'user' as const, id: 'u1' } };
let target: TargetServer;
let runtime: Runtime | undefined;
let serviceUrl = '';

beforeAll(async () => {
  // As in production: the owner migrates, the services run as a member of orrery_service.
  await migrateDatabase(db().url, undefined, schedulingMigrations);
  serviceUrl = await serviceRoleUrl(db());
  target = await startTargetServer();
});
afterAll(async () => {
  await target.close();
});
afterEach(async () => {
  await runtime?.stop();
  runtime = undefined;
});

const start = (roles: ('projection' | 'dispatcher' | 'executor')[], leaseMarginMs = 15_000) =>
  startRuntime({
    connectionString: serviceUrl,
    queue: new InProcessQueue(),
    log,
    roles,
    dispatcher: { leaseMarginMs },
    executor: { http: { allowLoopback: true } },
  });

const command = (store: Runtime['store'], endpointId: string, cmd: EndpointCommand) =>
  handleCommand(store, endpointDecider, endpointStream('t1', endpointId), cmd, {
    now: Date.now,
    metadata: user,
  });

async function register(
  store: Runtime['store'],
  config: Partial<EndpointConfigInput> = {},
  jobId = 'j1',
) {
  const endpointId = `e${randomUUID().slice(0, 8)}`;
  const outcome = await command(store, endpointId, {
    type: 'Register',
    endpointId,
    jobId,
    tenantId: 't1',
    config: {
      name: endpointId,
      request: { url: `${target.url}/${endpointId}` },
      baseline: { kind: 'interval', everyMs: 200 },
      // These tests watch the pipeline, not the start policy: run at registration.
      start: { kind: 'immediately' },
      ...config,
    },
  });
  expect(outcome.ok).toBe(true);
  return endpointId;
}

/** Where the projection has read the log up to. */
const projectedUpTo = async (runtime: Runtime) =>
  (
    await runtime.db
      .selectFrom('processor_checkpoints')
      .select('position')
      .where('name', '=', 'scheduling')
      .executeTakeFirst()
  )?.position ?? 0;

const eventsOf = async (store: Runtime['store'], endpointId: string) =>
  store.readStream(endpointStream('t1', endpointId));
const ofType = <T extends RecordedEvent['type']>(events: readonly RecordedEvent[], type: T) =>
  events.filter((e): e is Extract<RecordedEvent, { type: T }> => e.type === type);

describe('the scheduling pipeline, in one process', () => {
  it('runs every endpoint on its interval, once per slot, and the read model equals a fresh fold', async () => {
    runtime = await start(['projection', 'dispatcher', 'executor']);
    const store = runtime.store;
    const ids = await Promise.all(Array.from({ length: 20 }, () => register(store)));

    await waitFor(
      '3 recorded responses per endpoint',
      async () => {
        const counts = await Promise.all(
          ids.map(async (id) => ofType(await eventsOf(store, id), 'ResponseRecorded').length),
        );
        return counts.every((n) => n >= 3) ? true : undefined;
      },
      { timeoutMs: 20_000 },
    );
    await runtime.dispatcher?.stop();
    await runtime.executor?.stop();

    for (const id of ids) {
      const events = await eventsOf(store, id);
      const dispatched = ofType(events, 'RunDispatched');
      const slots = dispatched.filter((e) => e.data.attempt === 1).map((e) => e.data.scheduledFor);
      expect(new Set(slots).size).toBe(slots.length); // no slot dispatched twice
      for (const response of ofType(events, 'ResponseRecorded')) {
        expect(dispatched.some((d) => d.data.runId === response.data.runId)).toBe(true);
        expect(target.hits.get(response.data.runId)).toBeGreaterThanOrEqual(1);
      }
      // Interval cadence: consecutive slots 200 ms apart.
      const times = slots.map(Date.parse);
      for (let i = 1; i < times.length; i++)
        expect((times[i] ?? 0) - (times[i - 1] ?? 0)).toBeGreaterThanOrEqual(200);
    }
    for (const [, count] of target.hits) expect(count).toBe(1);
    // Every run is a trace of its own: its dispatch, its call (the target sees it) and its
    // response share the trace id.
    for (const id of ids) {
      const events = await eventsOf(store, id);
      for (const run of ofType(events, 'RunDispatched')) {
        const trace = run.metadata.traceparent?.split('-')[1];
        expect(run.metadata.traceparent).toMatch(/^00-[0-9a-f]{32}-[0-9a-f]{16}-01$/);
        expect(target.traceparents.get(run.data.runId)?.split('-')[1]).toBe(trace);
        const response = ofType(events, 'ResponseRecorded').find(
          (r) => r.data.runId === run.data.runId,
        );
        expect(response?.metadata.traceparent?.split('-')[1]).toBe(trace);
      }
    }

    await waitFor('the projection to catch up', async () =>
      (await projectedUpTo(runtime!)) >= (await store.headPosition()) ? true : undefined,
    );
    const rows = await runtime.db
      .selectFrom('schedule')
      .select(['endpoint_id', 'state', 'stream_version'])
      .execute();
    expect(rows).toHaveLength(ids.length);
    for (const row of rows) {
      const folded = fold(await eventsOf(store, row.endpoint_id));
      expect(row.state).toEqual(JSON.parse(JSON.stringify(folded)));
      expect(row.stream_version).toBe(folded.version);
    }
    const runs = await runtime.db
      .selectFrom('runs')
      .selectAll()
      .where('endpoint_id', 'in', ids)
      .execute();
    expect(runs.every((r) => r.status === 'succeeded' && r.http_status === 200)).toBe(true);
  });

  it('stops every endpoint of a paused job from the pause on, with one event on the job', async () => {
    runtime = await start(['projection', 'dispatcher', 'executor']);
    const store = runtime.store;
    const jobs = (jobId: string) =>
      handleCommand(
        store,
        jobDecider,
        jobStream('t1', jobId),
        { type: 'CreateJob', jobId, tenantId: 't1', name: jobId },
        { now: Date.now, metadata: user },
      );
    const [held, canaryJob] = [
      `held-${randomUUID().slice(0, 6)}`,
      `free-${randomUUID().slice(0, 6)}`,
    ];
    await jobs(held);
    await jobs(canaryJob);
    const members = await Promise.all([1, 2, 3].map(() => register(store, {}, held)));
    const canary = await register(store, {}, canaryJob);
    await waitFor('every member to run', async () => {
      const runs = await Promise.all(
        members.map(async (id) => ofType(await eventsOf(store, id), 'ResponseRecorded').length),
      );
      return runs.every((n) => n > 0) ? true : undefined;
    });
    const paused = await handleCommand(
      store,
      jobDecider,
      jobStream('t1', held),
      { type: 'PauseJob', until: null, reason: 'freeze' },
      { now: Date.now, metadata: user },
    );
    if (!paused.ok) throw new Error(paused.error.message);
    const pausedAt = paused.positions[0] ?? 0;
    // The canary, in another job, keeps running: time passes for the dispatcher.
    await waitFor('the canary to run 5 times after the pause', async () => {
      const later = ofType(await eventsOf(store, canary), 'RunDispatched').filter(
        (e) => e.position > pausedAt,
      );
      return later.length >= 5 ? true : undefined;
    });
    for (const id of members) {
      const after = ofType(await eventsOf(store, id), 'RunDispatched').filter(
        (e) => e.position > pausedAt,
      );
      expect(after, id).toEqual([]);
    }
  });

  it('runs a one-shot hint at once, long before the baseline', async () => {
    runtime = await start(['projection', 'dispatcher', 'executor']);
    const store = runtime.store;
    const id = await register(store, { baseline: { kind: 'interval', everyMs: 3_600_000 } });
    await waitFor('the first run', async () =>
      ofType(await eventsOf(store, id), 'ResponseRecorded').length === 1 ? true : undefined,
    );
    const hinted = await command(store, id, {
      type: 'ProposeHint',
      hintId: 'h1',
      hint: { slot: 'oneShot', ttlMs: 60_000 },
      source: 'user',
      sourceId: 'u1',
      reason: 'now please',
    });
    expect(hinted.ok).toBe(true);
    const second = await waitFor(
      'the hinted run',
      async () => {
        const runs = ofType(await eventsOf(store, id), 'RunDispatched');
        return runs.length === 2 ? runs[1] : undefined;
      },
      { timeoutMs: 5_000 },
    );
    expect(second.data).toMatchObject({ reason: 'one_shot_hint', hintId: 'h1', attempt: 1 });
  });

  it('re-dispatches the same run after its lease lapses, and records it once', async () => {
    // No executor: the run is dispatched and never answered.
    runtime = await start(['projection', 'dispatcher'], 300);
    const store = runtime.store;
    const id = await register(store, {
      baseline: { kind: 'interval', everyMs: 3_600_000 },
      timeoutMs: 200,
    });
    const redispatch = await waitFor(
      'a second attempt',
      async () => {
        const runs = ofType(await eventsOf(store, id), 'RunDispatched');
        return runs.find((r) => r.data.attempt === 2);
      },
      { timeoutMs: 10_000 },
    );
    const first = ofType(await eventsOf(store, id), 'RunDispatched')[0];
    expect(redispatch.data.runId).toBe(first?.data.runId);
    expect(redispatch.data.scheduledFor).toBe(first?.data.scheduledFor);
    expect(redispatch.data.reason).toBe('lease_expired');
    await runtime.stop();

    // The in-process queue died with that runtime, jobs and all. The log still
    // says the run is in flight, so a new runtime re-dispatches it when the
    // lease lapses, and it is recorded exactly once.
    runtime = await start(['projection', 'dispatcher', 'executor'], 300);
    const recorded = await waitFor(
      'the response',
      async () => {
        const responses = ofType(await eventsOf(runtime!.store, id), 'ResponseRecorded');
        return responses.length > 0 ? responses : undefined;
      },
      { timeoutMs: 10_000 },
    );
    expect(recorded.map((r) => r.data.runId)).toEqual([first?.data.runId]);
    expect(target.hits.get(first?.data.runId ?? '')).toBe(1);
  });

  it('rebuilds the read models from position 0, in one batch, to exactly the live state', async () => {
    // A run dispatched twice (its lease lapsed with no executor), then answered: a rebuild
    // meets both attempts in one batch.
    runtime = await start(['projection', 'dispatcher'], 300);
    const id = await register(runtime.store, {
      baseline: { kind: 'interval', everyMs: 3_600_000 },
      timeoutMs: 200,
    });
    await waitFor(
      'a second attempt',
      async () =>
        ofType(await eventsOf(runtime!.store, id), 'RunDispatched').some(
          (r) => r.data.attempt === 2,
        )
          ? true
          : undefined,
      { timeoutMs: 10_000 },
    );
    await runtime.stop();
    runtime = await start(['projection', 'dispatcher', 'executor'], 300);
    const store = runtime.store;
    await waitFor('its response', async () =>
      ofType(await eventsOf(store, id), 'ResponseRecorded').length > 0 ? true : undefined,
    );
    await runtime.dispatcher?.stop();
    await runtime.executor?.stop();
    await waitFor('the projection to reach the head', async () =>
      (await projectedUpTo(runtime!)) >= (await store.headPosition()) ? true : undefined,
    );
    const snapshot = async () => ({
      schedule: await runtime!.db
        .selectFrom('schedule')
        .select(['endpoint_id', 'state', 'stream_version', 'next_run_at', 'reason'])
        .orderBy('endpoint_id')
        .execute(),
      runs: await runtime!.db.selectFrom('runs').selectAll().orderBy('run_id').execute(),
    });
    const live = await snapshot();
    expect(live.runs.some((r) => r.endpoint_id === id && r.attempt > 1)).toBe(true);
    await runtime.db.deleteFrom('schedule').execute();
    await runtime.db.deleteFrom('runs').execute();

    const rebuild = new ProcessorHost({
      processor: new SchedulingProjection({ db: runtime.db, store, name: 'rebuild' }),
      store,
      db: runtime.db,
      log,
      connectionString: null,
      batchSize: 100_000,
    });
    await rebuild.runToHead();

    expect(await snapshot()).toEqual(live);
  });

  it('records a response whose JSON the database could not store as it is (NUL, lone surrogate)', async () => {
    const odd = createServer((_req, res) => {
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end('{"note":"a\\u0000b","broken":"\\ud800"}');
    });
    await new Promise<void>((resolve) => odd.listen(0, '127.0.0.1', resolve));
    const { port } = odd.address() as AddressInfo;
    try {
      runtime = await start(['projection', 'dispatcher', 'executor']);
      const store = runtime.store;
      const id = await register(store, {
        baseline: { kind: 'interval', everyMs: 3_600_000 },
        request: { url: `http://127.0.0.1:${port}/odd` },
      });
      const [response] = await waitFor('the odd response to be recorded', async () => {
        const responses = ofType(await eventsOf(store, id), 'ResponseRecorded');
        return responses.length > 0 ? responses : undefined;
      });
      expect(response?.data).toMatchObject({
        ok: true,
        body: { note: 'a\ufffdb', broken: '\ufffd' },
      });
    } finally {
      await new Promise<void>((resolve) => odd.close(() => resolve()));
    }
  });

  it('keeps following the log after every connection it holds is killed', async () => {
    runtime = await start(['projection']);
    const { store, db: readModels } = runtime;
    await waitFor('the projection to be active', () =>
      runtime!.processors.every((p) => p.active) ? true : undefined,
    );
    // As an administrator would: every session of the database but this one, listeners included.
    const admin = createSchedulingDb({ connectionString: db().url, max: 1 });
    try {
      const { rows } = await sql<{ killed: boolean }>`
        select pg_terminate_backend(pid) as killed from pg_stat_activity
        where datname = current_database() and pid <> pg_backend_pid()`.execute(admin);
      expect(rows.length).toBeGreaterThan(1);
    } finally {
      await admin.destroy();
    }

    const id = await register(store, { baseline: { kind: 'interval', everyMs: 3_600_000 } });

    await waitFor(
      'the new endpoint in the read model',
      async () =>
        (await readModels
          .selectFrom('schedule')
          .select('endpoint_id')
          .where('endpoint_id', '=', id)
          .executeTakeFirst())
          ? true
          : undefined,
      { timeoutMs: 15_000 },
    );
  });

  it("re-opens the dispatcher's notification connection after it is killed", async () => {
    runtime = await start(['projection', 'dispatcher']);
    const readModels = runtime.db;
    const listeners = async () =>
      (
        await sql<{ pid: number }>`select pid from pg_stat_activity
          where datname = current_database() and application_name = 'orrery-dispatcher'`.execute(
          readModels,
        )
      ).rows.map((row) => row.pid);
    const [before] = await listeners();
    expect(before).toBeDefined();
    await sql`select pg_terminate_backend(${before})`.execute(readModels);

    const after = await waitFor(
      'a new LISTEN connection',
      async () => (await listeners()).find((pid) => pid !== before),
      { timeoutMs: 10_000 },
    );
    expect(after).not.toBe(before);
  });
});
