import {
  endpointStream,
  plannerStream,
  type EventOf,
  type EventStore,
  type RecordedEvent,
} from '@orrery/domain';
import { context } from '@opentelemetry/api';
import { AsyncLocalStorageContextManager } from '@opentelemetry/context-async-hooks';
import { migrateDatabase } from '@orrery/event-store';
import { InProcessQueue } from '@orrery/queue';
import { schedulingMigrations, startRuntime, type Runtime } from '@orrery/scheduling';
import {
  MemoryTelemetry,
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
import { PLANNER_ATTRIBUTES as A, PLANNER_METRICS as M } from './planner-metrics.js';
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
let telemetry: MemoryTelemetry;
/** The log's head when the test started its planner: the sessions after it are the test's. */
let fromPosition = 0;
let url = '';

// Spans started across awaits find their parent, as under the SDK (which registers the same).
const contextManager = new AsyncLocalStorageContextManager();

beforeAll(async () => {
  context.setGlobalContextManager(contextManager.enable());
  await migrateDatabase(db().url, undefined, schedulingMigrations);
  url = await serviceRoleUrl(db());
  target = await startTargetServer({ respond: () => ({ items: 3 }) });
});
afterAll(async () => {
  context.disable();
  await target.close();
});
afterEach(async () => {
  await planner?.stop();
  await runtime?.stop();
  await fake.close();
  await telemetry.shutdown();
  planner = undefined;
  runtime = undefined;
});

async function start(budget: Partial<AnalysisBudget> = {}): Promise<EventStore> {
  fake = await startFakeAnthropic();
  telemetry = new MemoryTelemetry();
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
    instrumentation: telemetry.instrumentation,
    claude: createClaudeBackend({
      apiKey: 'sk-ant-test',
      baseURL: fake.baseURL,
      maxRetries: 1,
      timeoutMs: 5_000,
      log,
      instrumentation: telemetry.instrumentation,
    }),
  });
  fromPosition = await runtime.store.headPosition();
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

type SessionRecorded = RecordedEvent & EventOf<'PlannerSessionRecorded'>;

/**
 * Stops the planner (every session in flight settles), then reads what its meter counted beside
 * what the log holds since the test started it: sessions by planner and outcome, and the tokens
 * the records say the model used (input with the prompt cache's reads and writes).
 */
async function countedAndRecorded(store: EventStore) {
  await planner?.stop();
  planner = undefined;
  const records = (await store.readAll({ after: fromPosition })).filter(
    (e): e is SessionRecorded => e.type === 'PlannerSessionRecorded',
  );
  const totals = await telemetry.totals();
  const kinds = [
    ...new Set([
      ...records.map((r) => `${r.data.planner} ${r.data.outcome}`),
      ...totals.attributeSets(M.sessions).map((a) => `${a[A.backend]} ${a[A.outcome]}`),
    ]),
  ].sort();
  const byKind = (count: (kind: string) => number) =>
    Object.fromEntries(kinds.map((kind) => [kind, count(kind)]));
  const inputOf = ({ usage: u }: SessionRecorded['data']) =>
    u.inputTokens + u.cacheReadTokens + u.cacheWriteTokens;
  const sum = (values: number[]) => values.reduce((a, b) => a + b, 0);
  return {
    counted: {
      sessions: byKind((kind) => {
        const [backend, outcome] = kind.split(' ');
        return totals.sum(M.sessions, { [A.backend]: backend, [A.outcome]: outcome });
      }),
      tokens: {
        input: totals.sum(M.tokens, { [A.tokenType]: 'input' }),
        output: totals.sum(M.tokens, { [A.tokenType]: 'output' }),
      },
    },
    recorded: {
      sessions: byKind(
        (kind) => records.filter((r) => `${r.data.planner} ${r.data.outcome}` === kind).length,
      ),
      tokens: {
        input: sum(records.map((r) => inputOf(r.data))),
        output: sum(records.map((r) => r.data.usage.outputTokens)),
      },
    },
  };
}

describe('the Claude planner in the planner service', () => {
  it('commits what the model proposes through the arbiter (clamped to the bounds) with the session', async () => {
    const store = await start();
    fake.enqueue(
      message(
        [
          toolUse('propose_interval', {
            endpoint_id: 'feed',
            interval_ms: 1_000,
            ttl_ms: 60_000,
            reason: 'three new items: look again soon',
          }),
        ],
        { cache_read_input_tokens: 1_500, cache_creation_input_tokens: 300 },
      ),
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
    // The operator's figures agree with the log: one completed session, and its tokens.
    const { counted, recorded } = await countedAndRecorded(store);
    expect(counted).toEqual(recorded);
    expect(counted).toEqual({
      sessions: { 'claude completed': 1 },
      tokens: { input: 200 + 1_500 + 300, output: 40 },
    });
    // Its trace: the session, and each model call a child of it with the tokens it used.
    const spans = telemetry.spans();
    const sessionSpan = spans.find((s) => s.name === 'orrery.planner.session');
    const calls = spans.filter((s) => s.name.startsWith('chat '));
    expect(calls.map((c) => c.attributes['orrery.planner.step'])).toEqual([1, 2]);
    for (const call of calls) {
      expect(call.spanContext().traceId).toBe(sessionSpan?.spanContext().traceId);
      expect(call.parentSpanContext?.spanId).toBe(sessionSpan?.spanContext().spanId);
    }
    expect(calls.map((c) => c.attributes['gen_ai.usage.input_tokens'])).toEqual([
      100 + 1_500 + 300,
      100,
    ]);
    expect(calls[0]?.attributes).toMatchObject({
      'gen_ai.operation.name': 'chat',
      'gen_ai.provider.name': 'anthropic',
      'gen_ai.usage.output_tokens': 20,
    });
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
    // Counted as failed; the calls that failed used no tokens.
    const { counted, recorded } = await countedAndRecorded(store);
    expect(counted).toEqual(recorded);
    expect(counted).toEqual({
      sessions: { 'claude failed': 1 },
      tokens: { input: 0, output: 0 },
    });
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
    // The refused session is counted, with no tokens.
    const { counted, recorded } = await countedAndRecorded(store);
    expect(counted).toEqual(recorded);
    expect(counted).toEqual({
      sessions: { 'claude completed': 1, 'claude refused': 1 },
      tokens: { input: 100, output: 20 },
    });
  });
});
