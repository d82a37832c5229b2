import { MemoryTelemetry } from '@orrery/testkit';
import { describe, expect, it } from 'vitest';
import { API_METRICS } from './http-metrics.js';
import { useApiHarness } from './test-support/api-harness.js';

const telemetry = new MemoryTelemetry();
const api = useApiHarness({ instrumentation: telemetry.instrumentation });
const DURATION = API_METRICS.requestDuration;

describe('http.server.request.duration: every answer of the API, timed', () => {
  it('records each answer under its route template, method and status — never the path sent', async () => {
    await telemetry.window(); // what the harness's setup sent is not this test's
    const created = await api().request('POST', '/v1/jobs', {
      body: { id: 'metered', name: 'metered' },
    });
    expect(created.status).toBe(201);
    expect((await api().request('GET', '/v1/jobs/metered')).status).toBe(200);
    expect((await api().request('GET', '/v1/jobs/metered')).status).toBe(200);
    expect((await api().request('GET', '/v1/jobs/absent')).status).toBe(404);
    expect((await api().request('GET', '/v1/jobs', { key: null })).status).toBe(401);
    expect((await api().request('GET', '/v1/no-such-thing')).status).toBe(404);

    const seen = await telemetry.window();
    const count = (where: Record<string, string | number>) => seen.histogram(DURATION, where).count;
    expect(
      count({
        'http.route': '/v1/jobs',
        'http.request.method': 'POST',
        'http.response.status_code': 201,
      }),
    ).toBe(1);
    expect(
      count({
        'http.route': '/v1/jobs/:jobId',
        'http.request.method': 'GET',
        'http.response.status_code': 200,
      }),
    ).toBe(2);
    // A read of a job that does not exist is still that route's: the id is not in the attributes.
    expect(count({ 'http.route': '/v1/jobs/:jobId', 'http.response.status_code': 404 })).toBe(1);
    // Refused before the route ran (no key): timed under the route it was sent to.
    expect(count({ 'http.route': '/v1/jobs', 'http.response.status_code': 401 })).toBe(1);
    expect(seen.histogram(DURATION).count).toBe(6);

    const sets = seen.attributeSets(DURATION);
    // The path no route matched has no route attribute, and no attribute holds a path or an id.
    expect(sets.filter((a) => a['http.route'] === undefined)).toEqual([
      { 'http.request.method': 'GET', 'http.response.status_code': 404 },
    ]);
    for (const attributes of sets) {
      expect(JSON.stringify(attributes)).not.toMatch(/metered|absent|no-such-thing/);
      expect(attributes['error.type']).toBeUndefined(); // no 5xx here
    }
    const times = seen.histogram(DURATION);
    expect(times.min).toBeGreaterThan(0);
    expect(times.max).toBeLessThan(60); // seconds, not milliseconds
  });
});
