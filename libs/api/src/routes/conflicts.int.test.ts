import { endpointDecider, endpointStream, type EventMetadata, type Proposal } from '@orrery/domain';
import { handleCommand } from '@orrery/event-store';
import { runToHead, SchedulingProjection } from '@orrery/scheduling';
import pino from 'pino';
import { beforeAll, describe, expect, it } from 'vitest';
import { useApiHarness } from '../test-support/api-harness.js';

const api = useApiHarness();

const planner: EventMetadata = { tenantId: 't1', actor: { kind: 'planner', id: 'test' } };
const user: EventMetadata = { tenantId: 't1', actor: { kind: 'user', id: 'test' } };

/** Decides a proposal for an endpoint of t1 through the domain, as the planner service would. */
async function propose(endpointId: string, proposal: Proposal, metadata: EventMetadata) {
  const result = await handleCommand(
    api().deps.store,
    endpointDecider,
    endpointStream('t1', endpointId),
    { type: 'Propose', proposal },
    { now: Date.now, metadata },
  );
  if (!result.ok) throw new Error(result.error.message);
  return result;
}

async function newEndpoint(jobId: string, id: string): Promise<void> {
  await api().request('POST', '/v1/jobs', { body: { id: jobId, name: jobId } });
  const created = await api().request('POST', `/v1/jobs/${jobId}/endpoints`, {
    body: {
      id,
      name: id,
      request: { url: 'http://127.0.0.1:9/hook' },
      baseline: { kind: 'interval', everyMs: 3_600_000 },
    },
  });
  expect(created.status).toBe(201);
}

const list = async (query = '', key?: string) => {
  const response = await api().request('GET', `/v1/conflicts${query}`, key ? { key } : {});
  expect(response.status, JSON.stringify(response.body)).toBe(200);
  return response.body as { items: Record<string, unknown>[]; nextCursor: string | null };
};
const ids = async (query = '') => (await list(query)).items.map((c) => c.proposalId);

describe('GET /v1/conflicts', () => {
  let hintId = '';
  let before = '';
  let after = '';
  beforeAll(async () => {
    await newEndpoint('feeds', 'poll');
    await newEndpoint('reports', 'export');
    before = new Date().toISOString();
    const hint = await api().request('POST', '/v1/endpoints/poll/hints', {
      body: { kind: 'interval', intervalMs: 60_000, ttlMs: 600_000, reason: 'watching it' },
    });
    expect(hint.status).toBe(201);
    hintId = hint.body.hintId as string;
    // A planner proposal meets the user's live hint: refused by precedence.
    const refused = await propose(
      'poll',
      {
        id: 'p-precedence',
        source: 'planner',
        sourceId: 's1',
        fromEndpointId: 'poll',
        reason: 'r',
        action: { kind: 'interval', intervalMs: 5000, ttlMs: 60_000 },
      },
      planner,
    );
    expect(refused.events.map((e) => e.type)).toEqual(['HintRejected']);
    // A user asks to clear a hint that is not there: refused as a no-op, on another job.
    await propose(
      'export',
      {
        id: 'p-noop',
        source: 'user',
        sourceId: 'key:test',
        reason: 'r',
        action: { kind: 'clear', slots: ['oneShot'] },
      },
      user,
    );
    after = new Date(Date.now() + 1).toISOString();
    await api().catchUp();
  });

  it('lists a precedence refusal with the winner, the state it met and what was asked', async () => {
    const { items } = await list();
    expect(items.map((c) => c.proposalId)).toEqual(['p-noop', 'p-precedence']);
    const conflict = items[1];
    expect(conflict).toMatchObject({
      proposalId: 'p-precedence',
      target: { jobId: 'feeds', endpointId: 'poll' },
      kind: 'interval',
      slot: 'interval',
      source: 'planner',
      sourceId: 's1',
      fromEndpointId: 'poll',
      rule: 'precedence',
      detail: expect.stringContaining(hintId),
      requested: expect.objectContaining({ intervalMs: 5000 }),
      cooldownUntil: null,
      winner: {
        kind: 'hint',
        hintId,
        source: 'user',
        intervalMs: 60_000,
        expiresAt: expect.any(String),
      },
      stateMet: {
        status: 'active',
        pause: null,
        hints: {
          interval: { hintId, source: 'user', intervalMs: 60_000, expiresAt: expect.any(String) },
          oneShot: null,
        },
        consecutiveFailures: 0,
      },
    });
    expect(Date.parse(conflict?.recordedAt as string)).toBeGreaterThanOrEqual(Date.parse(before));
    // The state met is the state before the refusal: registration then the hint.
    expect((conflict?.stateMet as { version: number }).version).toBe(2);
  });

  it('filters by rule, source, endpoint, job and time', async () => {
    expect(await ids('?rule=precedence')).toEqual(['p-precedence']);
    expect(await ids('?rule=noop')).toEqual(['p-noop']);
    expect(await ids('?rule=budget')).toEqual([]);
    expect(await ids('?source=planner')).toEqual(['p-precedence']);
    expect(await ids('?source=user')).toEqual(['p-noop']);
    expect(await ids('?endpoint=poll')).toEqual(['p-precedence']);
    expect(await ids('?job=reports')).toEqual(['p-noop']);
    expect(await ids('?job=reports&rule=precedence')).toEqual([]);
    expect(await ids(`?since=${before}`)).toEqual(['p-noop', 'p-precedence']);
    expect(await ids(`?since=${after}`)).toEqual([]);
    expect(await ids(`?until=${before}`)).toEqual([]);
    expect(await ids(`?since=${before}&until=${after}`)).toEqual(['p-noop', 'p-precedence']);
  });

  it('pages newest first with a cursor', async () => {
    const first = await list('?limit=1');
    expect(first.items.map((c) => c.proposalId)).toEqual(['p-noop']);
    expect(first.nextCursor).not.toBeNull();
    const second = await list(`?limit=1&cursor=${first.nextCursor}`);
    expect(second.items.map((c) => c.proposalId)).toEqual(['p-precedence']);
    expect(second.nextCursor).toBeNull();
  });

  it('shows another tenant nothing', async () => {
    expect((await list('', api().keys.t2)).items).toEqual([]);
    expect((await list('?endpoint=poll', api().keys.t2)).items).toEqual([]);
  });

  // It empties the read models and projects the whole log again (to the same rows).
  it('is rebuilt to the same rows by a replay of the log from position 0', async () => {
    const { db, store } = api().deps;
    const rows = async () => ({
      conflicts: await db.selectFrom('conflicts').selectAll().orderBy('position').execute(),
      sessions: await db.selectFrom('planner_sessions').selectAll().orderBy('position').execute(),
    });
    const live = await rows();
    expect(live.conflicts).toHaveLength(2);
    // As a rebuild does: empty the read models, project the whole log.
    await db.transaction().execute(async (trx) => {
      for (const table of ['schedule', 'runs', 'jobs', 'conflicts', 'planner_sessions'] as const) {
        await trx.deleteFrom(table).execute();
      }
    });
    const projection = new SchedulingProjection({ db, store, name: 'rebuild' });
    await runToHead(projection, { store, db, log: pino({ level: 'silent' }), batchSize: 100_000 });
    expect(await rows()).toEqual(live);
  });

  it('refuses bad filters with a 400 problem naming the field', async () => {
    for (const [query, field] of [
      ['?rule=nope', 'querystring.rule'],
      ['?source=robot', 'querystring.source'],
      ['?since=yesterday', 'querystring.since'],
      [`?since=${after}&until=${before}`, 'querystring.until'],
      ['?cursor=abc', 'querystring.cursor'],
    ]) {
      const response = await api().request('GET', `/v1/conflicts${query}`);
      expect(response.status, query).toBe(400);
      expect(response.headers['content-type']).toContain('application/problem+json');
      expect(
        response.body.errors.map((e: { field: string }) => e.field),
        query,
      ).toContain(field);
    }
  });
});
