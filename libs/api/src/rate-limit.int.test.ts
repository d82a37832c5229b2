import { describe, expect, it } from 'vitest';
import { createApiKey } from './tenants.js';
import { ADMIN_KEY, useApiHarness } from './test-support/api-harness.js';

const api = useApiHarness({ rateLimitPerMinute: 3, authFailuresPerMinute: 4 });

/** GET as a client at `address`, sending `authorization` verbatim (or no header). */
const get = async (authorization: string | undefined, address: string, url = '/v1/jobs') => {
  const response = await api().app.inject({
    method: 'GET',
    url,
    headers: authorization === undefined ? {} : { authorization },
    remoteAddress: address,
  });
  return { status: response.statusCode, headers: response.headers, body: response.json() };
};
const newKey = async (tenant: string) =>
  (await createApiKey(api().deps.store, tenant, 'rate-limit test')).key;
const rateLimitHeaders = (headers: Record<string, unknown>) =>
  Object.keys(headers).filter((name) => name.startsWith('x-ratelimit') || name === 'retry-after');
/** A well-formed key of tenant t1 that was never issued: checking it reads the tenant. */
const unknownKey = (digit: string) => `Bearer ork_t1.${digit.repeat(12)}.${'A'.repeat(43)}`;

describe('rate limiting', () => {
  it('limits each key to N requests a minute, however its Authorization header is spelled', async () => {
    const key = await newKey('t1');
    const spellings = [`Bearer ${key}`, `bearer ${key}`, `BEARER  ${key}`, `Bearer\t${key}`];
    const answers = [];
    for (const authorization of spellings) answers.push(await get(authorization, '10.0.0.1'));
    expect(answers.map((a) => a.status)).toEqual([200, 200, 200, 429]);
    expect(answers[0]?.headers).toMatchObject({
      'x-ratelimit-limit': '3',
      'x-ratelimit-remaining': '2',
    });

    const limited = answers[3];
    expect(limited?.headers['content-type']).toContain('application/problem+json');
    expect(limited?.body).toMatchObject({
      type: '/problems/rate-limited',
      status: 429,
      detail: expect.stringMatching(
        /^rate limit exceeded: at most 3 requests per minute per API key/,
      ),
    });
    const retryAfter = Number(limited?.headers['retry-after']);
    expect(retryAfter).toBeGreaterThanOrEqual(1);
    expect(retryAfter).toBeLessThanOrEqual(60);
    expect(limited?.body.detail).toContain(`retry after ${retryAfter} s`);

    // Another key, of the same tenant or another, from the same address has its own budget.
    expect((await get(`Bearer ${await newKey('t1')}`, '10.0.0.1')).status).toBe(200);
    expect((await get(`Bearer ${await newKey('t2')}`, '10.0.0.1')).status).toBe(200);
  });

  it('refuses an address that failed authentication too often, before looking at its key', async () => {
    const attacker = '203.0.113.7';
    const valid = `Bearer ${await newKey('t1')}`;
    const failures = [
      await get(undefined, attacker),
      await get('Bearer nope', attacker),
      await get(unknownKey('0'), attacker),
      await get(`Bearer ${api().keys.revoked}`, attacker),
    ];
    expect(failures.map((f) => f.status)).toEqual([401, 401, 401, 401]);
    // A refused key learns nothing from rate-limit headers.
    for (const failure of failures) expect(rateLimitHeaders(failure.headers)).toEqual([]);

    const refused = await get(valid, attacker);
    expect(refused.status).toBe(429);
    expect(refused.headers['content-type']).toContain('application/problem+json');
    expect(refused.body).toMatchObject({
      type: '/problems/rate-limited',
      detail: expect.stringMatching(/failed authentications .* at most 4 per minute; retry after/),
    });
    expect(rateLimitHeaders(refused.headers)).toEqual(['retry-after']);
    expect(Number(refused.headers['retry-after'])).toBeGreaterThanOrEqual(1);

    // Another address is served, and its failures are its own.
    expect((await get(valid, '198.51.100.1')).status).toBe(200);
    expect((await get('Bearer nope', '198.51.100.1')).status).toBe(401);
  });

  it('counts wrong admin keys against the same budget as tenant keys', async () => {
    const guesser = '203.0.113.99';
    const admin = '/v1/admin/tenants';
    const guesses = [
      await get('Bearer not-the-admin-key', guesser, admin),
      await get(undefined, guesser, admin),
      await get(`Bearer ${api().keys.t1}`, guesser, admin),
      await get('Bearer nope', guesser),
    ];
    expect(guesses.map((g) => g.status)).toEqual([401, 401, 401, 401]);
    const adminRefused = await get(`Bearer ${ADMIN_KEY}`, guesser, admin);
    expect(adminRefused.status).toBe(429);
    expect(adminRefused.body.detail).toMatch(/failed authentications/);
    expect((await get(`Bearer ${await newKey('t2')}`, guesser)).status).toBe(429);
    expect((await get(`Bearer ${ADMIN_KEY}`, '198.51.100.42', admin)).status).toBe(200);
  });

  it('lets a burst of guesses from one address check no more keys than its budget', async () => {
    const burst = await Promise.all(
      Array.from({ length: 20 }, () => get(unknownKey('1'), '192.0.2.9')),
    );
    const statuses = burst.map((answer) => answer.status);
    expect(statuses.filter((status) => status === 401)).toHaveLength(4);
    expect(statuses.filter((status) => status === 429)).toHaveLength(16);
  });
});
