import { describe, expect, it } from 'vitest';
import { useApiHarness } from '../test-support/api-harness.js';

const api = useApiHarness();

describe('GET /v1/endpoints/:id/history and /v1/jobs/:id/history', () => {
  it("tells an endpoint's and a job's story in words, scoped to the key's tenant", async () => {
    const job = await api().request('POST', '/v1/jobs', { body: { id: 'etl', name: 'ETL' } });
    expect(job.status).toBe(201);
    const endpoint = await api().request('POST', '/v1/jobs/etl/endpoints', {
      body: {
        id: 'extract',
        name: 'extract',
        request: { url: 'http://127.0.0.1:9/extract' },
        baseline: { kind: 'interval', everyMs: 3_600_000 },
      },
    });
    expect(endpoint.status).toBe(201);
    const paused = await api().request('POST', '/v1/endpoints/extract/pause', { body: {} });
    expect(paused.status).toBe(200);

    const history = await api().request('GET', '/v1/endpoints/extract/history');
    expect(history.status).toBe(200);
    expect(history.body).toMatchObject({
      target: { kind: 'endpoint', id: 'extract' },
      more: false,
    });
    expect(history.body.entries.map((e: { type: string }) => e.type)).toEqual([
      'EndpointRegistered',
      'Paused',
    ]);
    expect(history.body.entries[1]).toMatchObject({
      subject: 'extract',
      actor: { kind: 'user' },
      summary: expect.stringContaining('paused'),
    });
    const latest = await api().request('GET', '/v1/jobs/etl/history?limit=1');
    expect(latest.body).toMatchObject({ target: { kind: 'job', id: 'etl' }, more: true });
    expect(latest.body.entries).toHaveLength(1);

    const other = await api().request('GET', '/v1/endpoints/extract/history', {
      key: api().keys.t2,
    });
    expect(other.status).toBe(404);
    const bad = await api().request(
      'GET',
      '/v1/jobs/etl/history?since=2026-01-02T00:00:00Z&until=2026-01-01T00:00:00Z',
    );
    expect(bad.status).toBe(400);
    expect(bad.body.errors).toEqual([expect.objectContaining({ field: 'querystring.until' })]);
  });
});
