import { startTargetServer, type TargetServer } from '@orrery/testkit';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { useApiHarness } from '../test-support/api-harness.js';

// Real calls: a test run goes through the HTTP caller, is recorded through the command handler
// and projected into the runs read model like any run. The target answers 500 on /broken,
// after 5 s on /slow, and a small JSON body elsewhere.
const api = useApiHarness();
let target: TargetServer;
let jobId = '';

/** Registers an endpoint and test-runs it once; answers the test run's result. */
async function testRun(id: string, url: string, extra: Record<string, unknown> = {}) {
  const created = await api().request('POST', `/v1/jobs/${jobId}/endpoints`, {
    body: {
      id,
      name: id,
      request: { url },
      baseline: { kind: 'interval', everyMs: 3_600_000 },
      ...extra,
    },
  });
  expect(created.status, JSON.stringify(created.body)).toBe(201);
  const run = await api().request('POST', `/v1/endpoints/${id}/test-run`, { body: {} });
  expect(run.status, JSON.stringify(run.body)).toBe(200);
  return run.body as { runId: string; outcome: string; status: number | null };
}

const runs: Record<string, { runId: string; outcome: string; status: number | null }> = {};

beforeAll(async () => {
  target = await startTargetServer({
    status: (path) => (path === '/broken' ? 500 : 200),
    delayMs: (path) => (path === '/slow' ? 5_000 : 0),
  });
  const { body: job } = await api().request('POST', '/v1/jobs', { body: { name: 'outcomes' } });
  jobId = job.id;
  runs['fine'] = await testRun('fine', `${target.url}/fine`);
  runs['broken'] = await testRun('broken', `${target.url}/broken`);
  // The target's JSON answer is about 40 bytes: a 10-byte cap cuts it.
  runs['cut'] = await testRun('cut', `${target.url}/cut`, { responseCapBytes: 10 });
  runs['slow'] = await testRun('slow', `${target.url}/slow`, { timeoutMs: 100 });
  // Loopback is allowed in tests; a private address is not, and is refused before connecting.
  runs['private'] = await testRun('private', 'http://10.255.255.1/');
  await api().catchUp();
});

afterAll(async () => {
  await target?.close();
});

const outcomesOf = (body: { items: { id: string; outcome: string }[] }) =>
  Object.fromEntries(body.items.map((run) => [run.id, run.outcome]));

describe('run outcomes', () => {
  it('say what happened to each call, in the test-run answer and in the runs read model', async () => {
    expect(Object.fromEntries(Object.entries(runs).map(([id, run]) => [id, run.outcome]))).toEqual({
      fine: 'succeeded',
      broken: 'http_error',
      cut: 'truncated',
      slow: 'timeout',
      private: 'refused',
    });
    const broken = await api().request('GET', `/v1/runs/${runs['broken']?.runId}`);
    expect(broken.body).toMatchObject({
      outcome: 'http_error',
      httpStatus: 500,
      status: 'failed',
      error: null,
    });
    const cut = await api().request('GET', `/v1/runs/${runs['cut']?.runId}`);
    expect(cut.body).toMatchObject({ outcome: 'truncated', httpStatus: 200, status: 'succeeded' });
    expect(cut.body.response).toMatchObject({ bodyTruncated: true, error: { kind: 'too_large' } });

    const listed = await api().request('GET', `/v1/jobs/${jobId}/runs`);
    expect(outcomesOf(listed.body)).toEqual({
      [runs['fine']?.runId ?? '']: 'succeeded',
      [runs['broken']?.runId ?? '']: 'http_error',
      [runs['cut']?.runId ?? '']: 'truncated',
      [runs['slow']?.runId ?? '']: 'timeout',
      [runs['private']?.runId ?? '']: 'refused',
    });
  });

  it('filter the runs of a job and of an endpoint', async () => {
    for (const [name, run] of Object.entries(runs)) {
      const ofJob = await api().request('GET', `/v1/jobs/${jobId}/runs?outcome=${run.outcome}`);
      expect(
        ofJob.body.items.map((r: { id: string }) => r.id),
        name,
      ).toEqual([run.runId]);
    }
    const ofEndpoint = await api().request('GET', '/v1/endpoints/broken/runs?outcome=http_error');
    expect(ofEndpoint.body.items.map((r: { id: string }) => r.id)).toEqual([runs['broken']?.runId]);
    const none = await api().request('GET', '/v1/endpoints/broken/runs?outcome=succeeded');
    expect(none.body.items).toEqual([]);
    const both = await api().request('GET', `/v1/jobs/${jobId}/runs?status=failed&outcome=timeout`);
    expect(both.body.items.map((r: { id: string }) => r.id)).toEqual([runs['slow']?.runId]);
  });

  it('refuses an outcome that is not one, naming the parameter', async () => {
    for (const bad of ['failed', 'too_large', 'HTTP_ERROR']) {
      const response = await api().request('GET', `/v1/jobs/${jobId}/runs?outcome=${bad}`);
      expect(response.status, bad).toBe(400);
      expect(response.body.type).toBe('/problems/validation');
      expect(response.body.errors[0].field).toBe('querystring.outcome');
    }
  });
});
