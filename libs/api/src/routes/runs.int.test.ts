import { endpointStream, makeEvent, toIso, type EventMetadata } from '@orrery/domain';
import { beforeAll, describe, expect, it } from 'vitest';
import { useApiHarness } from '../test-support/api-harness.js';

const api = useApiHarness();
const system: EventMetadata = { tenantId: 't1', actor: { kind: 'system', id: 'test' } };
const T0 = Date.parse('2030-01-01T00:00:00Z');
const MINUTE = 60_000;

/** What the dispatcher and the executor would append for a run. */
async function dispatch(endpointId: string, runId: string, scheduledFor: number) {
  const event = makeEvent(
    'RunDispatched',
    {
      runId,
      scheduledFor: toIso(scheduledFor),
      dispatchedAt: toIso(scheduledFor + 250),
      leaseUntil: toIso(scheduledFor + MINUTE),
      attempt: 1,
      reason: 'baseline_interval',
    },
    system,
  );
  await api().deps.store.append(endpointStream('t1', endpointId), [event], {
    expectedVersion: 'any',
  });
}

async function respond(
  endpointId: string,
  runId: string,
  at: number,
  outcome: { status: number | null; body: unknown; error?: { kind: 'timeout'; message: string } },
) {
  const event = makeEvent(
    'ResponseRecorded',
    {
      runId,
      startedAt: toIso(at + 300),
      finishedAt: toIso(at + 420),
      durationMs: 120,
      status: outcome.status,
      ok: outcome.status !== null && outcome.status < 300,
      headers: { 'content-type': 'application/json' },
      body: outcome.body,
      bodyTruncated: false,
      ...(outcome.error ? { error: outcome.error } : {}),
    },
    system,
  );
  await api().deps.store.append(endpointStream('t1', endpointId), [event], {
    expectedVersion: 'any',
  });
}

let jobId = '';
beforeAll(async () => {
  const { body: job } = await api().request('POST', '/v1/jobs', { body: { name: 'runs' } });
  jobId = job.id;
  for (const id of ['ep-r', 'ep-s']) {
    const created = await api().request('POST', `/v1/jobs/${jobId}/endpoints`, {
      body: {
        id,
        name: `t1 endpoint ${id}`,
        request: { url: 'http://127.0.0.1:9/x' },
        baseline: { kind: 'interval', everyMs: MINUTE },
      },
    });
    expect(created.status).toBe(201);
  }
  await dispatch('ep-r', 'run-1', T0);
  await respond('ep-r', 'run-1', T0, { status: 200, body: { batch: 7 } });
  await dispatch('ep-r', 'run-2', T0 + MINUTE);
  await respond('ep-r', 'run-2', T0 + MINUTE, {
    status: null,
    body: null,
    error: { kind: 'timeout', message: 'no answer in 10000 ms' },
  });
  await dispatch('ep-r', 'run-3', T0 + 2 * MINUTE);
  await dispatch('ep-s', 'run-s1', T0 + 90_000);
  await api().catchUp();
});

const ids = (body: { items: { id: string }[] }) => body.items.map((run) => run.id);

describe('runs', () => {
  it("lists an endpoint's runs newest first with a cursor, and filters by status and outcome", async () => {
    const first = await api().request('GET', '/v1/endpoints/ep-r/runs?limit=2');
    expect(first.status).toBe(200);
    expect(ids(first.body)).toEqual(['run-3', 'run-2']);
    expect(first.body.items[1]).toEqual({
      id: 'run-2',
      endpointId: 'ep-r',
      jobId,
      status: 'failed',
      outcome: 'timeout',
      attempt: 1,
      reason: 'baseline_interval',
      scheduledFor: toIso(T0 + MINUTE),
      dispatchedAt: toIso(T0 + MINUTE + 250),
      latenessMs: 250,
      startedAt: toIso(T0 + MINUTE + 300),
      finishedAt: toIso(T0 + MINUTE + 420),
      durationMs: 120,
      httpStatus: null,
      error: 'timeout: no answer in 10000 ms',
      test: false,
    });
    const second = await api().request(
      'GET',
      `/v1/endpoints/ep-r/runs?limit=2&cursor=${first.body.nextCursor}`,
    );
    expect(ids(second.body)).toEqual(['run-1']);
    expect(second.body.nextCursor).toBeNull();

    const failed = await api().request('GET', '/v1/endpoints/ep-r/runs?status=failed');
    expect(ids(failed.body)).toEqual(['run-2']);
    const pending = await api().request('GET', '/v1/endpoints/ep-r/runs?status=dispatched');
    expect(ids(pending.body)).toEqual(['run-3']);
    const open = await api().request('GET', '/v1/endpoints/ep-r/runs?outcome=pending');
    expect(ids(open.body)).toEqual(['run-3']);
    const succeeded = await api().request('GET', '/v1/endpoints/ep-r/runs?outcome=succeeded');
    expect(ids(succeeded.body)).toEqual(['run-1']);
  });

  it("lists a job's runs across its endpoints, newest first", async () => {
    const all = await api().request('GET', `/v1/jobs/${jobId}/runs`);
    expect(all.status).toBe(200);
    expect(ids(all.body)).toEqual(['run-3', 'run-s1', 'run-2', 'run-1']);
    const page = await api().request('GET', `/v1/jobs/${jobId}/runs?limit=3`);
    const rest = await api().request(
      'GET',
      `/v1/jobs/${jobId}/runs?limit=3&cursor=${page.body.nextCursor}`,
    );
    expect([...ids(page.body), ...ids(rest.body)]).toEqual(ids(all.body));
    const ok = await api().request('GET', `/v1/jobs/${jobId}/runs?status=succeeded`);
    expect(ids(ok.body)).toEqual(['run-1']);
  });

  it('gets one run with its recorded response', async () => {
    const done = await api().request('GET', '/v1/runs/run-1');
    expect(done.status).toBe(200);
    expect(done.body).toMatchObject({ id: 'run-1', status: 'succeeded', httpStatus: 200 });
    expect(done.body.response).toEqual({
      headers: { 'content-type': 'application/json' },
      body: { batch: 7 },
      bodyTruncated: false,
      error: null,
    });
    const failed = await api().request('GET', '/v1/runs/run-2');
    expect(failed.body.response.error).toEqual({
      kind: 'timeout',
      message: 'no answer in 10000 ms',
    });
    const pending = await api().request('GET', '/v1/runs/run-3');
    expect(pending.body).toMatchObject({
      status: 'dispatched',
      outcome: 'pending',
      response: null,
      startedAt: null,
    });
  });

  it('rejects bad values and unknown parameters with problem JSON naming the field', async () => {
    const cases: [string, string][] = [
      ['/v1/endpoints/ep-r/runs?status=lost', 'querystring.status'],
      ['/v1/endpoints/ep-r/runs?outcome=lost', 'querystring.outcome'],
      ['/v1/endpoints/ep-r/runs?limit=500', 'querystring.limit'],
      ['/v1/endpoints/ep-r/runs?cursor=bogus', 'querystring.cursor'],
      [`/v1/jobs/${jobId}/runs?colour=red`, 'querystring'],
      ['/v1/jobs/bad%21id/runs', 'params.jobId'],
      ['/v1/runs/bad%21id', 'params.runId'],
    ];
    for (const [url, field] of cases) {
      const response = await api().request('GET', url);
      expect(response.status, url).toBe(400);
      expect(response.body.type).toBe('/problems/validation');
      expect(response.body.errors[0].field, url).toBe(field);
    }
  });

  it("answers 404 for another tenant's endpoint, job or run, never its data", async () => {
    for (const url of ['/v1/endpoints/ep-r/runs', `/v1/jobs/${jobId}/runs`, '/v1/runs/run-1']) {
      const response = await api().request('GET', url, { key: api().keys.t2 });
      expect(response.status, url).toBe(404);
      expect(JSON.stringify(response.body)).not.toMatch(/batch|t1 endpoint|run-2/);
    }
    const unknown = await api().request('GET', '/v1/endpoints/nope/runs');
    expect(unknown.status).toBe(404);
  });

  it('refuses every route without an API key', async () => {
    for (const url of ['/v1/endpoints/ep-r/runs', `/v1/jobs/${jobId}/runs`, '/v1/runs/run-1']) {
      const response = await api().request('GET', url, { key: null });
      expect(response.status, url).toBe(401);
      expect(JSON.stringify(response.body)).not.toContain('batch');
    }
  });
});
