import {
  endpointDecider,
  endpointStream,
  jobDecider,
  jobStream,
  plannerStream,
  type EndpointConfigInput,
  type EventStore,
} from '@orrery/domain';
import { handleCommand, migrateDatabase } from '@orrery/event-store';
import { InProcessQueue } from '@orrery/queue';
import { schedulingMigrations, startRuntime, type Runtime } from '@orrery/scheduling';
import {
  declareEdges,
  serviceRoleUrl,
  startTargetServer,
  useTestDatabase,
  waitFor,
  type TargetRequest,
  type TargetServer,
} from '@orrery/testkit';
import pino from 'pino';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { eventsOf, registerEndpoint } from './pipeline.test-support.js';
import { startPlanner, type PlannerService } from './start-planner.js';

const db = useTestDatabase();
const log = pino({ level: process.env['LOG_LEVEL'] ?? 'silent' });
const tenantId = 't1';
let target: TargetServer;
let runtime: Runtime | undefined;
let planner: PlannerService | undefined;
let url = '';

/** What each path answers: the coordination signals under test. */
const bodies: Record<string, unknown> = {};
const pathOf = (r: TargetRequest) => new URL(r.path, 'http://x').pathname.slice(1);

beforeAll(async () => {
  await migrateDatabase(db().url, undefined, schedulingMigrations);
  url = await serviceRoleUrl(db());
  target = await startTargetServer({ respond: (r) => bodies[pathOf(r)] ?? { ok: true } });
});
afterAll(async () => {
  await target.close();
});
afterEach(async () => {
  await planner?.stop();
  await runtime?.stop();
  planner = undefined;
  runtime = undefined;
});

async function startPlanning(): Promise<void> {
  planner = await startPlanner({ connectionString: url, log, debounceMs: 50 });
}

async function start({ planning = true } = {}): Promise<EventStore> {
  runtime = await startRuntime({
    connectionString: url,
    queue: new InProcessQueue(),
    log,
    roles: ['projection', 'dispatcher', 'executor'],
    executor: { http: { allowLoopback: true } },
  });
  if (planning) await startPlanning();
  return runtime.store;
}

const register = (
  store: EventStore,
  endpointId: string,
  jobId: string,
  config: Partial<EndpointConfigInput>,
) => registerEndpoint(store, target.url, { tenantId, endpointId, jobId }, config);

describe('the planner on the real pipeline', () => {
  it('turns a recommended interval into a planner hint, recorded with its session, and the endpoint runs at it', async () => {
    // 60 extra runs over the hint's minute: within the default budget (120 per endpoint and hour).
    bodies['poller'] = { recommended_interval_ms: 1_000, hint_ttl_ms: 60_000 };
    const store = await start();
    await register(store, 'poller', 'feeds', {});

    const [hint] = await waitFor('a planner hint', async () => {
      const hints = await eventsOf(store, endpointStream(tenantId, 'poller'), 'HintProposed');
      return hints.length > 0 ? hints : undefined;
    });
    expect(hint?.data).toMatchObject({
      slot: 'interval',
      intervalMs: 1_000,
      source: 'planner',
      fromEndpointId: 'poller',
    });
    const sessions = await eventsOf(
      store,
      plannerStream(tenantId, 'poller'),
      'PlannerSessionRecorded',
    );
    expect(sessions[0]?.data).toMatchObject({
      planner: 'heuristic',
      outcome: 'completed',
      proposals: [
        { proposalId: hint?.data.hintId, targetEndpointId: 'poller', outcome: 'accepted' },
      ],
    });
    // The baseline is an hour: more runs can only come from the hint.
    await waitFor('three runs at the hinted pace', () =>
      target.requests.filter((r) => pathOf(r) === 'poller').length >= 3 ? true : undefined,
    );
    // The same signal again does not propose the same hint again while it is live.
    const later = await eventsOf(store, endpointStream(tenantId, 'poller'), 'HintProposed');
    expect(later).toHaveLength(1);
  });

  it('nudges a declared downstream in another job when a response is ready for the next stage', async () => {
    bodies['orders'] = { ready_for_next_stage: true };
    const store = await start();
    await register(store, 'orders', 'sales', {});
    await register(store, 'pack', 'warehouse', { start: { kind: 'next_slot' } });
    await declareEdges(store, tenantId, 'pack', [
      { upstream: 'orders', mode: 'gate', condition: 'true' },
    ]);
    // A response after the edge exists (the first one may have come before it).
    await handleCommand(
      store,
      endpointDecider,
      endpointStream(tenantId, 'orders'),
      {
        type: 'ProposeHint',
        hintId: 'now',
        hint: { slot: 'oneShot', ttlMs: 60_000 },
        source: 'user',
        sourceId: 'test',
        reason: 'run now',
      },
      { now: Date.now, metadata: { tenantId, actor: { kind: 'user', id: 'test' } } },
    );

    await waitFor("the downstream ran on the planner's one-shot", () =>
      target.requests.some((r) => pathOf(r) === 'pack') ? true : undefined,
    );
    const [nudge] = (
      await eventsOf(store, endpointStream(tenantId, 'pack'), 'HintProposed')
    ).filter((e) => e.data.source === 'planner');
    expect(nudge?.data).toMatchObject({ slot: 'oneShot', fromEndpointId: 'orders' });
  });

  it('records a refusal when the endpoint was paused before its response was analysed: pause wins', async () => {
    bodies['paused'] = { recommended_interval_ms: 500 };
    const store = await start({ planning: false });
    await register(store, 'paused', 'feeds', {});
    await waitFor('a first response', async () =>
      (await eventsOf(store, endpointStream(tenantId, 'paused'), 'ResponseRecorded')).length > 0
        ? true
        : undefined,
    );
    const pause = await handleCommand(
      store,
      endpointDecider,
      endpointStream(tenantId, 'paused'),
      { type: 'Pause', until: null, reason: 'maintenance' },
      { now: Date.now, metadata: { tenantId, actor: { kind: 'user', id: 'test' } } },
    );
    expect(pause.ok).toBe(true);

    await startPlanning();
    const rejected = await waitFor('a refusal', async () => {
      const refusals = await eventsOf(store, endpointStream(tenantId, 'paused'), 'HintRejected');
      return refusals.length > 0 ? refusals : undefined;
    });
    expect(rejected[0]?.data).toMatchObject({
      rule: 'pause_wins',
      source: 'planner',
      winner: { kind: 'pause', until: null },
    });
    const hints = await eventsOf(store, endpointStream(tenantId, 'paused'), 'HintProposed');
    expect(hints).toHaveLength(0);
    const [session] = await eventsOf(
      store,
      plannerStream(tenantId, 'paused'),
      'PlannerSessionRecorded',
    );
    expect(session?.data.proposals).toMatchObject([{ outcome: 'rejected', rule: 'pause_wins' }]);
  });

  it('refuses a hint whose extra runs exceed the endpoint budget, and says how many are left', async () => {
    // Every 300 ms for a minute: 200 extra runs against a baseline of one an hour (budget 120).
    bodies['greedy'] = { recommended_interval_ms: 300, hint_ttl_ms: 60_000 };
    const store = await start();
    await register(store, 'greedy', 'feeds', {});
    const [refusal] = await waitFor('a budget refusal', async () => {
      const refusals = await eventsOf(store, endpointStream(tenantId, 'greedy'), 'HintRejected');
      return refusals.length > 0 ? refusals : undefined;
    });
    expect(refusal?.data).toMatchObject({ rule: 'budget', source: 'planner' });
    expect(refusal?.data.detail).toMatch(/200 extra runs asked, 120 of 120 left/);
  });

  it('refuses planner proposals for an endpoint whose job was paused since its response', async () => {
    bodies['held'] = { recommended_interval_ms: 1_000, hint_ttl_ms: 60_000 };
    const store = await start({ planning: false });
    const user = {
      now: Date.now,
      metadata: { tenantId, actor: { kind: 'user' as const, id: 'test' } },
    };
    const job = jobStream(tenantId, 'held-job');
    await handleCommand(
      store,
      jobDecider,
      job,
      { type: 'CreateJob', jobId: 'held-job', tenantId, name: 'held' },
      user,
    );
    await register(store, 'held', 'held-job', {});
    await waitFor('a first response', async () =>
      (await eventsOf(store, endpointStream(tenantId, 'held'), 'ResponseRecorded')).length > 0
        ? true
        : undefined,
    );
    const paused = await handleCommand(
      store,
      jobDecider,
      job,
      { type: 'PauseJob', until: null, reason: 'audit' },
      user,
    );
    expect(paused.ok).toBe(true);

    await startPlanning();
    const [refusal] = await waitFor('a refusal', async () => {
      const refusals = await eventsOf(store, endpointStream(tenantId, 'held'), 'HintRejected');
      return refusals.length > 0 ? refusals : undefined;
    });
    expect(refusal?.data).toMatchObject({
      rule: 'pause_wins',
      detail: expect.stringContaining('job held-job is paused'),
    });
    expect(await eventsOf(store, endpointStream(tenantId, 'held'), 'HintProposed')).toHaveLength(0);
  });
});
