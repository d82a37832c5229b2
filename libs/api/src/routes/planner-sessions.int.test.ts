import { makeEvent, plannerStream, type PlannerSessionInput } from '@orrery/domain';
import { beforeAll, describe, expect, it } from 'vitest';
import { useApiHarness } from '../test-support/api-harness.js';

const api = useApiHarness();

const session = (
  sessionId: string,
  over: Partial<PlannerSessionInput> = {},
): PlannerSessionInput => ({
  sessionId,
  endpointId: 'poll',
  jobId: 'feeds',
  planner: 'claude',
  model: 'claude-test',
  trigger: { runId: 'run-1', position: 3 },
  basedOnPosition: 4,
  startedAt: '2031-03-01T06:00:00.000Z',
  durationMs: 5210,
  outcome: 'completed',
  reasoning: 'three timeouts in a row: poll faster for a while',
  proposals: [
    {
      proposalId: `${sessionId}-1`,
      targetEndpointId: 'poll',
      kind: 'interval',
      outcome: 'accepted',
    },
    {
      proposalId: `${sessionId}-2`,
      targetEndpointId: 'poll',
      kind: 'oneShot',
      outcome: 'rejected',
      rule: 'precedence',
      detail: 'a live user hint (h1) outranks a planner proposal',
    },
  ],
  toolCalls: [{ name: 'recent_runs', input: { limit: 5 }, output: '[]' }],
  usage: { inputTokens: 5820, outputTokens: 412, modelCalls: 2 },
  ...over,
});

/** Records sessions on a planner stream of a tenant, as the planner service does. */
async function record(tenantId: string, endpointId: string, ...sessions: PlannerSessionInput[]) {
  const metadata = { tenantId, actor: { kind: 'planner' as const, id: 'test' } };
  await api().deps.store.append(
    plannerStream(tenantId, endpointId),
    sessions.map((data) => makeEvent('PlannerSessionRecorded', data, metadata)),
    { expectedVersion: 'any' },
  );
}

describe('planner sessions', () => {
  beforeAll(async () => {
    await record('t1', 'poll', session('s-1'));
    await record(
      't1',
      'export',
      session('s-2', {
        endpointId: 'export',
        jobId: 'reports',
        planner: 'heuristic',
        model: undefined,
        outcome: 'refused',
        detail: 'the analysis budget is spent',
        startedAt: '2031-03-01T07:00:00.000Z',
        proposals: [],
        toolCalls: [],
        usage: {},
      }),
    );
    await record('t2', 'poll', session('s-other'));
    await api().catchUp();
  });

  it('lists them newest first, summarised', async () => {
    const response = await api().request('GET', '/v1/planner/sessions');
    expect(response.status).toBe(200);
    expect(response.body.items.map((s: { sessionId: string }) => s.sessionId)).toEqual([
      's-2',
      's-1',
    ]);
    expect(response.body.items[1]).toEqual({
      sessionId: 's-1',
      endpointId: 'poll',
      jobId: 'feeds',
      planner: 'claude',
      model: 'claude-test',
      outcome: 'completed',
      startedAt: '2031-03-01T06:00:00.000Z',
      durationMs: 5210,
      proposalCount: 2,
      accepted: 1,
      rejected: 1,
      tokens: { input: 5820, output: 412 },
      position: expect.any(Number),
      recordedAt: expect.any(String),
    });
    expect(response.body.items[0]).toMatchObject({
      model: null,
      proposalCount: 0,
      tokens: { input: 0, output: 0 },
    });
  });

  it('filters by job, endpoint, outcome and start, and pages with a cursor', async () => {
    const ids = async (query: string) =>
      (await api().request('GET', `/v1/planner/sessions${query}`)).body.items.map(
        (s: { sessionId: string }) => s.sessionId,
      );
    expect(await ids('?job=feeds')).toEqual(['s-1']);
    expect(await ids('?endpoint=export')).toEqual(['s-2']);
    expect(await ids('?outcome=refused')).toEqual(['s-2']);
    expect(await ids('?outcome=failed')).toEqual([]);
    expect(await ids('?since=2031-03-01T06:30:00Z')).toEqual(['s-2']);
    expect(await ids('?until=2031-03-01T06:30:00Z')).toEqual(['s-1']);
    const first = await api().request('GET', '/v1/planner/sessions?limit=1');
    expect(first.body.items).toHaveLength(1);
    const next = await api().request(
      'GET',
      `/v1/planner/sessions?limit=1&cursor=${first.body.nextCursor}`,
    );
    expect(next.body.items.map((s: { sessionId: string }) => s.sessionId)).toEqual(['s-1']);
    expect(next.body.nextCursor).toBeNull();
  });

  it('reads one session whole: reasoning, tool calls, usage and each outcome', async () => {
    const response = await api().request('GET', '/v1/planner/sessions/s-1');
    expect(response.status).toBe(200);
    expect(response.body).toMatchObject({
      sessionId: 's-1',
      trigger: { runId: 'run-1', position: 3 },
      basedOnPosition: 4,
      detail: null,
      reasoning: 'three timeouts in a row: poll faster for a while',
      proposals: [
        { proposalId: 's-1-1', outcome: 'accepted', rule: null, detail: null },
        { proposalId: 's-1-2', outcome: 'rejected', rule: 'precedence' },
      ],
      toolCalls: [{ name: 'recent_runs', input: { limit: 5 }, output: '[]', isError: false }],
      usage: { inputTokens: 5820, outputTokens: 412, cacheReadTokens: 0, modelCalls: 2 },
    });
  });

  it("answers 404 for an unknown session and for another tenant's", async () => {
    for (const id of ['nope', 's-other']) {
      const response = await api().request('GET', `/v1/planner/sessions/${id}`);
      expect(response.status).toBe(404);
      expect(response.body.type).toBe('/problems/not-found');
    }
    const theirs = await api().request('GET', '/v1/planner/sessions', { key: api().keys.t2 });
    expect(theirs.body.items.map((s: { sessionId: string }) => s.sessionId)).toEqual(['s-other']);
  });

  it('leaves streams of other kinds and other events of planner streams alone', async () => {
    const metadata = { tenantId: 't1', actor: { kind: 'system' as const, id: 'test' } };
    const stray = makeEvent('Resumed', { reason: 'not a session' }, metadata);
    await api().deps.store.append(plannerStream('t1', 'poll'), [stray], { expectedVersion: 'any' });
    await api().deps.store.append('widget-t1.w', [stray], { expectedVersion: 'any' });
    await record('t1', 'poll', session('s-3'));
    await api().catchUp();
    const parked = await api().deps.db.selectFrom('parked_streams').selectAll().execute();
    expect(parked).toEqual([]);
    expect((await api().request('GET', '/v1/planner/sessions/s-3')).status).toBe(200);
  });
});
