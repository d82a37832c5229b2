import { endpointStream, plannerStream, type EventStore } from '@orrery/domain';
import { migrateDatabase } from '@orrery/event-store';
import { InProcessQueue } from '@orrery/queue';
import { schedulingMigrations, startRuntime, type Runtime } from '@orrery/scheduling';
import {
  serviceRoleUrl,
  startTargetServer,
  useTestDatabase,
  waitFor,
  type TargetServer,
} from '@orrery/testkit';
import pino from 'pino';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { createClaudeBackend } from './claude/claude-backend.js';
import {
  apiError,
  message,
  startFakeAnthropic,
  toolUse,
  type FakeAnthropic,
} from './claude/fake-anthropic.test-support.js';
import { eventsOf, registerEndpoint } from './pipeline.test-support.js';
import { startPlanner, type PlannerService } from './start-planner.js';
import type { AnalysisBudget } from './session-runner.js';

/**
 * The Claude planner inside the planner service, against a loopback fake of the Messages API:
 * what a session proposes is decided by the arbiter and committed with its record; a session
 * the API fails applies nothing; the tenant's analysis budget refuses sessions beyond it.
 */
const db = useTestDatabase();
const log = pino({ level: process.env['LOG_LEVEL'] ?? 'silent' });
const tenantId = 't1';
let target: TargetServer;
let fake: FakeAnthropic;
let runtime: Runtime | undefined;
let planner: PlannerService | undefined;
let url = '';

beforeAll(async () => {
  await migrateDatabase(db().url, undefined, schedulingMigrations);
  url = await serviceRoleUrl(db());
  target = await startTargetServer({ respond: () => ({ items: 3 }) });
});
afterAll(async () => {
  await target.close();
});
afterEach(async () => {
  await planner?.stop();
  await runtime?.stop();
  await fake.close();
  planner = undefined;
  runtime = undefined;
});

async function start(budget: Partial<AnalysisBudget> = {}): Promise<EventStore> {
  fake = await startFakeAnthropic();
  runtime = await startRuntime({
    connectionString: url,
    queue: new InProcessQueue(),
    log,
    roles: ['projection', 'dispatcher', 'executor'],
    executor: { http: { allowLoopback: true } },
  });
  planner = await startPlanner({
    connectionString: url,
    log,
    debounceMs: 50,
    concurrency: 1,
    budget,
    claude: createClaudeBackend({
      apiKey: 'sk-ant-test',
      baseURL: fake.baseURL,
      maxRetries: 1,
      timeoutMs: 5_000,
      log,
    }),
  });
  return runtime.store;
}

const register = (store: EventStore, endpointId: string, tenant = tenantId) =>
  registerEndpoint(
    store,
    target.url,
    { tenantId: tenant, endpointId, jobId: 'feeds' },
    {
      minIntervalMs: 5_000,
    },
  );

const sessionOf = (store: EventStore, endpointId: string, tenant = tenantId) =>
  waitFor(`a session for ${endpointId}`, async () => {
    const [session] = await eventsOf(
      store,
      plannerStream(tenant, endpointId),
      'PlannerSessionRecorded',
    );
    return session;
  });

describe('the Claude planner in the planner service', () => {
  it('commits what the model proposes through the arbiter (clamped to the bounds) with the session', async () => {
    const store = await start();
    fake.enqueue(
      message([
        toolUse('propose_interval', {
          endpoint_id: 'feed',
          interval_ms: 1_000,
          ttl_ms: 60_000,
          reason: 'three new items: look again soon',
        }),
      ]),
      message([
        toolUse('submit_analysis', { reasoning: 'Items keep coming; poll faster for a minute.' }),
      ]),
    );
    await register(store, 'feed');
    const session = await sessionOf(store, 'feed');
    expect(session.data).toMatchObject({
      planner: 'claude',
      outcome: 'completed',
      reasoning: 'Items keep coming; poll faster for a minute.',
      proposals: [{ targetEndpointId: 'feed', kind: 'interval', outcome: 'accepted' }],
      usage: { inputTokens: 200, outputTokens: 40, modelCalls: 2 },
    });
    expect(session.data.toolCalls.map((c) => c.name)).toEqual([
      'propose_interval',
      'submit_analysis',
    ]);
    const [hint] = await eventsOf(store, endpointStream(tenantId, 'feed'), 'HintProposed');
    // The model asked for 1 s; the endpoint allows 5 s at the least.
    expect(hint?.data).toMatchObject({
      source: 'planner',
      sourceId: session.data.sessionId,
      intervalMs: 5_000,
      clamped: { requested: 1_000, applied: 5_000, bound: 'min' },
    });
    // The model heard of the clamp before it submitted.
    const answer = JSON.stringify(fake.requests[1]?.body.messages.at(-1));
    expect(answer).toMatch(/clamp/i);
  });

  it('applies nothing when the API stays overloaded, and records the session as failed', async () => {
    const store = await start();
    fake.enqueue(
      apiError(529, 'overloaded_error', 'Overloaded'),
      apiError(529, 'overloaded_error', 'Overloaded'),
    );
    await register(store, 'busy');
    const session = await sessionOf(store, 'busy');
    expect(session.data).toMatchObject({ planner: 'claude', outcome: 'failed', proposals: [] });
    expect(session.data.detail).toMatch(/529/);
    expect(fake.requests).toHaveLength(2);
    const changes = (await store.readStream(endpointStream(tenantId, 'busy'))).filter((e) =>
      ['HintProposed', 'HintRejected', 'Paused', 'HintsCleared'].includes(e.type),
    );
    expect(changes).toEqual([]);
  });

  it("refuses sessions beyond the tenant's analysis budget: recorded, with no model call", async () => {
    const store = await start({ sessions: 1 });
    fake.enqueue(message([toolUse('submit_analysis', { reasoning: 'Nothing to change.' })]));
    // A tenant of its own: the budget is per tenant.
    await register(store, 'first', 't2');
    expect((await sessionOf(store, 'first', 't2')).data.outcome).toBe('completed');
    await register(store, 'second', 't2');
    const refused = await sessionOf(store, 'second', 't2');
    expect(refused.data).toMatchObject({
      outcome: 'refused',
      detail: '1 of 1 sessions used in 60 min',
    });
    expect(fake.requests).toHaveLength(1);
  });
});
