import { describe, expect, it } from 'vitest';
import { useApiHarness } from './test-support/api-harness.js';

const api = useApiHarness({ rateLimitPerMinute: 3 });

describe('rate limiting', () => {
  it('limits each key on its own and answers 429 problem JSON', async () => {
    for (let i = 0; i < 3; i++) expect((await api().request('GET', '/v1/jobs')).status).toBe(200);
    const limited = await api().request('GET', '/v1/jobs');
    expect(limited.status).toBe(429);
    expect(limited.headers['content-type']).toContain('application/problem+json');
    expect(limited.body).toMatchObject({ type: '/problems/rate-limited', status: 429 });
    expect(limited.headers['retry-after']).toBeDefined();
    // Another tenant's key has its own budget.
    expect((await api().request('GET', '/v1/jobs', { key: api().keys.t2 })).status).toBe(200);
  });
});
