import { endpointStream } from '@orrery/domain';
import { describe, expect, it } from 'vitest';
import { useApiHarness } from '../test-support/api-harness.js';
import { readEndpointWithJob } from './endpoint-head.js';

const api = useApiHarness();

const setUp = async (jobId: string, endpointId: string) => {
  expect(
    (await api().request('POST', '/v1/jobs', { body: { id: jobId, name: jobId } })).status,
  ).toBe(201);
  const registered = await api().request('POST', `/v1/jobs/${jobId}/endpoints`, {
    body: {
      id: endpointId,
      name: endpointId,
      request: { url: 'https://example.com/never-called' },
      baseline: { kind: 'interval', everyMs: 3_600_000 },
    },
  });
  expect(registered.status).toBe(201);
};

describe('an endpoint and its job, in one statement', () => {
  it("sees the job's events appended after its row, in the endpoint read and in explain", async () => {
    await setUp('held', 'e1');
    await api().catchUp();
    // Appended, not projected: the job's row still says it is not paused.
    await api().request('POST', '/v1/jobs/held/pause', { body: { reason: 'held for now' } });

    const read = await api().request('GET', '/v1/endpoints/e1');
    expect(read.body.job.paused).toEqual({ until: null, reason: 'held for now' });
    expect(read.body.schedule.reason).toBe('job_paused_indefinitely');
    const explained = await api().request('GET', '/v1/endpoints/e1/explain');
    expect(explained.status).toBe(200);
    expect(explained.body.next.reason).toBe('job_paused_indefinitely');
  });

  it('reads the job of an endpoint the projection has not seen, and its parked streams by processor', async () => {
    await setUp('fresh', 'e2');
    const stream = endpointStream('t1', 'e2');
    const parked = (processor: string) => ({
      processor,
      stream_id: stream,
      tenant_id: 't1',
      stream_version: 1,
      position: 7,
      error: `${processor} failed`,
      attempts: 1,
      parked_at: new Date('2026-01-02T03:04:05.000Z'),
      retry_at: new Date('2026-01-02T03:04:05.000Z'),
    });
    await api()
      .deps.db.insertInto('parked_streams')
      .values([parked('zeta'), parked('alpha')])
      .execute();

    const head = await readEndpointWithJob(api().deps.pool, 't1', 'e2', { parked: true });
    expect(head.state.jobId).toBe('fresh');
    expect(head.job).toMatchObject({ jobId: 'fresh', status: 'active' });
    expect(head.parked).toEqual([
      { processor: 'alpha', error: 'alpha failed', since: '2026-01-02T03:04:05.000Z', position: 7 },
      { processor: 'zeta', error: 'zeta failed', since: '2026-01-02T03:04:05.000Z', position: 7 },
    ]);
    // Without `parked` the statement reads none.
    expect((await readEndpointWithJob(api().deps.pool, 't1', 'e2')).parked).toEqual([]);
  });

  it('reads nothing for an unknown endpoint, or for the same id in another tenant', async () => {
    await setUp('mine', 'e3');
    const unknown = await readEndpointWithJob(api().deps.pool, 't1', 'nobody', { parked: true });
    expect(unknown).toMatchObject({ job: null, parked: [], events: [] });
    expect(unknown.state.status).toBe('unregistered');
    const other = await api().request('GET', '/v1/endpoints/e3', { key: api().keys.t2 });
    expect(other.status).toBe(404);
    const explained = await api().request('GET', '/v1/endpoints/e3/explain', {
      key: api().keys.t2,
    });
    expect(explained.status).toBe(404);
  });
});
