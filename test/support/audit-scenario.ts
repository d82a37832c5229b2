import {
  endpointDecider,
  endpointStream,
  jobDecider,
  jobStream,
  makeEvent,
  NO_HOLDS,
  plannerStream,
  type EndpointCommand,
  type EventMetadata,
  type EventStore,
} from '@orrery/domain';
import { createPostgresEventStore, handleCommand, migrateDatabase } from '@orrery/event-store';
import { schedulingMigrations } from '@orrery/scheduling';
import { declareEdges, type TestDatabase } from '@orrery/testkit';
import { afterAll, beforeAll } from 'vitest';

const MINUTE = 60_000;
const HOUR = 60 * MINUTE;

/** Who does what in the scenario. */
const actors = {
  alice: { kind: 'user', id: 'alice' },
  dispatcher: { kind: 'system', id: 'dispatcher' },
  executor: { kind: 'system', id: 'executor' },
  planner: { kind: 'planner', id: 'heuristic' },
  cascade: { kind: 'cascade', id: 'extract.load' },
} as const;

const extractConfig = {
  name: 'Extract',
  request: { url: 'http://127.0.0.1:9/extract' },
  baseline: { kind: 'interval', everyMs: MINUTE },
  start: { kind: 'immediately' },
} as const;

/**
 * A small history of tenant `tenantId` driven through the deciders as the services drive them:
 * job `etl` with `extract` (every minute, run at once) and `load` (trigger-only, after
 * extract). Extract runs and answers 200; load observes it, fires a cascade and dispatches it;
 * alice sets extract's jitter and proposes a 30 s interval; the planner's 5 min proposal is
 * refused by precedence (its session recorded on extract's planner stream); alice pauses
 * extract. Answers the run of extract and the positions of the events that matter.
 */
export async function auditScenario(store: EventStore, tenantId: string) {
  const meta = (actor: keyof typeof actors, causationId?: string): EventMetadata => ({
    tenantId,
    actor: actors[actor],
    ...(causationId === undefined ? {} : { causationId }),
  });
  const endpoint = async (id: string, command: EndpointCommand, metadata: EventMetadata) => {
    const stream = endpointStream(tenantId, id);
    const options = { now: Date.now, metadata };
    const result = await handleCommand(store, endpointDecider, stream, command, options);
    if (!result.ok) throw new Error(`${id} ${command.type}: ${result.error.message}`);
    return { ...result, position: result.positions[0] ?? 0 };
  };
  const job = await handleCommand(
    store,
    jobDecider,
    jobStream(tenantId, 'etl'),
    { type: 'CreateJob', jobId: 'etl', tenantId, name: 'ETL' },
    { now: Date.now, metadata: meta('alice') },
  );
  if (!job.ok) throw new Error(`CreateJob: ${job.error.message}`);
  const register = (endpointId: string, config: EndpointCommand & { type: 'Register' }) =>
    endpoint(endpointId, config, meta('alice'));
  await register('extract', {
    type: 'Register',
    endpointId: 'extract',
    jobId: 'etl',
    tenantId,
    config: extractConfig,
  });
  await register('load', {
    type: 'Register',
    endpointId: 'load',
    jobId: 'etl',
    tenantId,
    config: {
      name: 'Load',
      request: { url: 'http://127.0.0.1:9/load' },
      baseline: { kind: 'none' },
    },
  });
  await declareEdges(store, tenantId, 'load', [{ upstream: 'extract' }]);

  const { events } = await endpoint(
    'extract',
    { type: 'Dispatch', leaseMarginMs: 5000 },
    meta('dispatcher'),
  );
  const run = events[0];
  if (run?.type !== 'RunDispatched') throw new Error('extract was not due');
  const { runId, dispatchedAt } = run.data;
  const finishedAt = new Date().toISOString();
  const durationMs = Date.parse(finishedAt) - Date.parse(dispatchedAt);
  const answer = { status: 200, ok: true, headers: {}, body: { rows: 3 }, durationMs };
  const response = await endpoint(
    'extract',
    {
      type: 'RecordResponse',
      response: { runId, startedAt: dispatchedAt, finishedAt, bodyTruncated: false, ...answer },
    },
    meta('executor', runId),
  );
  await endpoint(
    'load',
    {
      type: 'ObserveUpstream',
      edgeId: 'extract.load',
      response: {
        ...answer,
        endpointId: 'extract',
        runId,
        position: response.position,
        respondedAt: Date.parse(finishedAt),
        cascade: { root: runId, depth: 0, chain: ['extract'] },
      },
      dispatch: { leaseMarginMs: 5000, holds: NO_HOLDS },
    },
    meta('cascade', runId),
  );
  const config = { ...extractConfig, jitterMs: 1000 };
  await endpoint('extract', { type: 'Reconfigure', config }, meta('alice'));

  const propose = (id: string, source: 'user' | 'planner', intervalMs: number) =>
    endpoint(
      'extract',
      {
        type: 'Propose',
        proposal: {
          id,
          source,
          sourceId: source === 'user' ? 'alice' : 'session-1',
          ...(source === 'planner' ? { fromEndpointId: 'extract' } : {}),
          reason: source === 'user' ? 'month-end close' : 'the upstream is quiet\nmore detail',
          action: { kind: 'interval', intervalMs, ttlMs: HOUR },
        },
      },
      meta(source === 'user' ? 'alice' : 'planner'),
    );
  const hint = await propose('alice-1', 'user', 30_000);
  const refusal = await propose('planner-1', 'planner', 5 * MINUTE);
  const session = makeEvent(
    'PlannerSessionRecorded',
    {
      sessionId: 'session-1',
      endpointId: 'extract',
      jobId: 'etl',
      planner: 'heuristic',
      trigger: { runId, position: response.position },
      basedOnPosition: response.position,
      startedAt: new Date().toISOString(),
      durationMs: 3,
      outcome: 'completed',
      reasoning: 'the upstream is quiet\nmore detail',
      proposals: [
        {
          proposalId: 'planner-1',
          targetEndpointId: 'extract',
          kind: 'interval',
          outcome: 'rejected',
          rule: 'precedence',
        },
      ],
    },
    meta('planner', runId),
  );
  await store.append(plannerStream(tenantId, 'extract'), [session], { expectedVersion: 'any' });
  const pause = await endpoint(
    'extract',
    { type: 'Pause', until: null, reason: 'maintenance' },
    meta('alice'),
  );
  return { runId, hint: hint.position, refusal: refusal.position, pause: pause.position };
}

/**
 * Plays {@link auditScenario} for tenant `acme` on the test file's database before its tests:
 * answers the store (open until the tests end) and the scenario's run and positions.
 */
export function useAuditScenario(db: () => TestDatabase) {
  let store: EventStore | undefined;
  let scenario: Awaited<ReturnType<typeof auditScenario>> | undefined;
  beforeAll(async () => {
    await migrateDatabase(db().url, undefined, schedulingMigrations);
    store = createPostgresEventStore({ connectionString: db().url, maxConnections: 2 });
    scenario = await auditScenario(store, 'acme');
  });
  afterAll(() => store?.close());
  return () => {
    if (!store || !scenario) throw new Error('the audit scenario runs before the tests');
    return { store, scenario };
  };
}
