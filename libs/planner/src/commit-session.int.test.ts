import {
  defaultArbiterPolicy,
  endpointDecider,
  endpointStream,
  plannerStream,
  type EndpointState,
} from '@orrery/domain';
import { createPostgresEventStore, handleCommand, migrateDatabase } from '@orrery/event-store';
import { useTestDatabase } from '@orrery/testkit';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { commitSession, type SessionToCommit } from './commit-session.js';

const db = useTestDatabase();
const tenantId = 't1';
const user = { tenantId, actor: { kind: 'user' as const, id: 'test' } };
let store: ReturnType<typeof createPostgresEventStore>;

beforeAll(async () => {
  await migrateDatabase(db().url);
  store = createPostgresEventStore({ connectionString: db().url });
  await handleCommand(
    store,
    endpointDecider,
    endpointStream(tenantId, 'e1'),
    {
      type: 'Register',
      endpointId: 'e1',
      jobId: 'j1',
      tenantId,
      config: {
        name: 'e1',
        request: { url: 'http://127.0.0.1:9/e1' },
        baseline: { kind: 'interval', everyMs: 60_000 },
      },
    },
    { now: Date.now, metadata: user },
  );
});
afterAll(async () => {
  await store.close();
});

const readState = async (id: string): Promise<EndpointState> => {
  const events = await store.readStream(endpointStream(tenantId, id));
  return events.reduce(endpointDecider.evolve, endpointDecider.initialState());
};

const session = (sessionId: string): SessionToCommit => ({
  tenantId,
  record: {
    sessionId,
    endpointId: 'e1',
    jobId: 'j1',
    planner: 'heuristic',
    trigger: { runId: 'r1', position: 1 },
    basedOnPosition: 1,
    startedAt: new Date().toISOString(),
    durationMs: 1,
    outcome: 'completed',
  },
  drafts: [
    {
      targetEndpointId: 'e1',
      action: { kind: 'interval', intervalMs: 30_000, ttlMs: 60_000 },
      reason: 'faster',
    },
    { targetEndpointId: 'e1', action: { kind: 'oneShot', ttlMs: 60_000 }, reason: 'check now' },
  ],
  apply: true,
  metadata: { tenantId, actor: { kind: 'planner', id: sessionId } },
});

describe('commitSession', () => {
  it('re-decides every proposal when another writer moved a target first: none dropped, one outcome each', async () => {
    let raced = false;
    const committed = await commitSession(
      {
        store,
        now: Date.now,
        job: async () => ({ policy: defaultArbiterPolicy, extraRuns: 0 }),
        // The first read is overtaken by a user's hint before the session appends.
        state: async (id) => {
          const state = await readState(id);
          if (!raced) {
            raced = true;
            await handleCommand(
              store,
              endpointDecider,
              endpointStream(tenantId, id),
              {
                type: 'ProposeHint',
                hintId: 'u1',
                hint: { slot: 'interval', intervalMs: 45_000, ttlMs: 600_000 },
                source: 'user',
                sourceId: 'test',
                reason: 'mine',
              },
              { now: Date.now, metadata: user },
            );
          }
          return state;
        },
      },
      session('ps-race'),
    );
    const events = await store.readStream(endpointStream(tenantId, 'e1'));
    const outcomes = events.filter((e) =>
      e.type === 'HintRejected'
        ? e.data.proposalId.startsWith('ps-race')
        : e.type === 'HintProposed' && e.data.hintId.startsWith('ps-race'),
    );
    // Decided again on the new state: the user's live interval hint outranks the planner's.
    expect(outcomes.map((e) => e.type)).toEqual(['HintRejected', 'HintProposed']);
    expect(committed.proposals.map((p) => [p.outcome, p.rule])).toEqual([
      ['rejected', 'precedence'],
      ['accepted', undefined],
    ]);
    const [record] = await store.readStream(plannerStream(tenantId, 'e1'));
    expect(record?.type === 'PlannerSessionRecorded' && record.data.proposals).toEqual(
      committed.proposals,
    );
  });

  it('has no second effect when the same session is committed twice (a takeover)', async () => {
    const deps = {
      store,
      now: Date.now,
      job: async () => ({ policy: defaultArbiterPolicy, extraRuns: 0 }),
      state: readState,
    };
    const before = (await store.readStream(endpointStream(tenantId, 'e1'))).length;
    const first = await commitSession(deps, session('ps-twice'));
    const middle = (await store.readStream(endpointStream(tenantId, 'e1'))).length;
    const second = await commitSession(deps, session('ps-twice'));
    expect(first.duplicate).toBe(false);
    expect(second.duplicate).toBe(true);
    expect(middle).toBeGreaterThan(before);
    expect((await store.readStream(endpointStream(tenantId, 'e1'))).length).toBe(middle);
    const records = await store.readStream(plannerStream(tenantId, 'e1'));
    expect(
      records.filter((e) => e.type === 'PlannerSessionRecorded' && e.data.sessionId === 'ps-twice'),
    ).toHaveLength(1);
  });

  it('applies nothing for a session that did not complete, and records its proposals as not applied', async () => {
    const before = (await store.readStream(endpointStream(tenantId, 'e1'))).length;
    const failed = await commitSession(
      {
        store,
        now: Date.now,
        job: async () => ({ policy: defaultArbiterPolicy, extraRuns: 0 }),
        state: readState,
      },
      {
        ...session('ps-failed'),
        record: { ...session('ps-failed').record, outcome: 'step_limit' },
        apply: false,
      },
    );
    expect(failed.proposals.map((p) => p.outcome)).toEqual(['not_applied', 'not_applied']);
    expect((await store.readStream(endpointStream(tenantId, 'e1'))).length).toBe(before);
  });
});
