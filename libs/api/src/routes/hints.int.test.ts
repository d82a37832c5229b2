import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { useApiHarness } from '../test-support/api-harness.js';

const api = useApiHarness();

/** A loopback target that remembers the headers it received. */
const received: IncomingHttpHeaders[] = [];
let target: Server;
let targetUrl = '';
beforeAll(async () => {
  target = createServer((req, res) => {
    received.push(req.headers);
    res.writeHead(200, { 'content-type': 'application/json' });
    res.end(JSON.stringify({ ok: true, n: received.length }));
  });
  await new Promise<void>((resolve) => target.listen(0, '127.0.0.1', resolve));
  targetUrl = `http://127.0.0.1:${(target.address() as AddressInfo).port}/hook`;
});
afterAll(async () => {
  target.closeAllConnections();
  await new Promise((resolve) => target.close(resolve));
});

async function newEndpoint(): Promise<string> {
  const { body: job } = await api().request('POST', '/v1/jobs', { body: { name: 'hints' } });
  const created = await api().request('POST', `/v1/jobs/${job.id}/endpoints`, {
    body: {
      name: 'hook',
      request: {
        url: targetUrl,
        headers: { authorization: { value: 'Bearer s3cret', secret: true } },
      },
      baseline: { kind: 'interval', everyMs: 3_600_000 },
      minIntervalMs: 60_000,
      maxIntervalMs: 7_200_000,
    },
  });
  expect(created.status).toBe(201);
  return created.body.id as string;
}

const near = (iso: string, ms: number) =>
  expect(Math.abs(Date.parse(iso) - ms)).toBeLessThan(5_000);

describe('hints', () => {
  it('records interval hints with their clamp, and shows live hints on the endpoint', async () => {
    const id = await newEndpoint();
    const hint = await api().request('POST', `/v1/endpoints/${id}/hints`, {
      body: { kind: 'interval', intervalMs: 1_000, ttlMs: 600_000, reason: 'busy' },
    });
    expect(hint.status).toBe(201);
    expect(hint.body).toMatchObject({
      kind: 'interval',
      intervalMs: 60_000,
      clamped: { requested: 1_000, applied: 60_000, bound: 'min' },
      source: 'user',
      reason: 'busy',
    });
    near(hint.body.expiresAt, Date.now() + 600_000);
    const { body: endpoint } = await api().request('GET', `/v1/endpoints/${id}`);
    expect(endpoint.hints.interval).toMatchObject({ hintId: hint.body.hintId, source: 'user' });
    expect(endpoint.hints.interval.expiresAt).toBe(hint.body.expiresAt);
  });

  it('places one-shot hints at a time, after a delay, or now', async () => {
    const id = await newEndpoint();
    const post = (body: object) => api().request('POST', `/v1/endpoints/${id}/hints`, { body });
    const delayed = await post({ kind: 'oneShot', inMs: 120_000 });
    expect(delayed.status).toBe(201);
    near(delayed.body.runAt, Date.now() + 120_000);
    // Without a TTL the hint lives 10 minutes past its run time.
    expect(Date.parse(delayed.body.expiresAt) - Date.parse(delayed.body.runAt)).toBe(600_000);
    const runAt = new Date(Date.now() + 300_000).toISOString();
    expect((await post({ kind: 'oneShot', runAt, ttlMs: 900_000 })).body.runAt).toBe(runAt);
    near((await post({ kind: 'oneShot' })).body.runAt, Date.now());
    const { body: endpoint } = await api().request('GET', `/v1/endpoints/${id}`);
    expect(endpoint.hints.oneShot).toMatchObject({ kind: 'oneShot', source: 'user' });

    const late = await post({ kind: 'oneShot', inMs: 600_000, ttlMs: 60_000 });
    expect(late.status).toBe(400);
    expect(late.body.errors[0].field).toBe('body.ttlMs');
  });

  it('clears hints, one slot or both, and reports what it cleared', async () => {
    const id = await newEndpoint();
    const url = `/v1/endpoints/${id}/hints`;
    await api().request('POST', url, {
      body: { kind: 'interval', intervalMs: 120_000, ttlMs: 60_000 },
    });
    await api().request('POST', url, { body: { kind: 'oneShot' } });
    const one = await api().request('DELETE', `${url}?slot=interval`);
    expect(one.status).toBe(200);
    expect(one.body).toEqual({ cleared: ['interval'] });
    expect((await api().request('DELETE', url)).body).toEqual({ cleared: ['oneShot'] });
    expect((await api().request('DELETE', url)).body).toEqual({ cleared: [] });
    const { body: endpoint } = await api().request('GET', `/v1/endpoints/${id}`);
    expect(endpoint.hints).toEqual({ interval: null, oneShot: null });
  });

  it('gives the first of two quick run-now requests its outcome: superseded by the second', async () => {
    const id = await newEndpoint();
    const first = await api().request('POST', `/v1/endpoints/${id}/run`);
    const second = await api().request('POST', `/v1/endpoints/${id}/run`);
    expect([first.status, second.status]).toEqual([202, 202]);
    const events = (await api().deps.store.readStream(`endpoint-t1.${id}`)).map((e) => ({
      type: e.type,
      data: e.data,
    }));
    expect(events.filter((e) => e.type === 'HintSuperseded')).toEqual([
      {
        type: 'HintSuperseded',
        data: { hintId: first.body.hintId, slot: 'oneShot', byHintId: second.body.hintId },
      },
    ]);
  });

  it('runs now with a user one-shot hint at the current time', async () => {
    const id = await newEndpoint();
    const run = await api().request('POST', `/v1/endpoints/${id}/run`);
    expect(run.status).toBe(202);
    expect(run.body).toMatchObject({ kind: 'oneShot', source: 'user', reason: 'run now' });
    near(run.body.runAt, Date.now());
    const { body: endpoint } = await api().request('GET', `/v1/endpoints/${id}`);
    expect(endpoint.hints.oneShot.hintId).toBe(run.body.hintId);
  });

  it('test-runs the target with the real secret and records a test response', async () => {
    const id = await newEndpoint();
    const before = received.length;
    const run = await api().request('POST', `/v1/endpoints/${id}/test-run`);
    expect(run.status, JSON.stringify(run.body)).toBe(200);
    expect(run.body).toMatchObject({ status: 200, ok: true, bodyTruncated: false });
    expect(run.body.body).toMatchObject({ ok: true });
    expect(run.body.runId).toMatch(/^test-[0-9a-f-]{36}$/);
    expect(received.length).toBe(before + 1);
    expect(received.at(-1)).toMatchObject({
      authorization: 'Bearer s3cret',
      'idempotency-key': run.body.runId,
    });

    const last = (await api().deps.store.readStream(`endpoint-t1.${id}`)).at(-1);
    expect(last).toMatchObject({
      type: 'ResponseRecorded',
      data: { runId: run.body.runId, test: true },
    });
    const { body: endpoint } = await api().request('GET', `/v1/endpoints/${id}`);
    expect(endpoint).toMatchObject({ lastRun: null, inFlight: null, consecutiveFailures: 0 });
    await api().catchUp();
    const recorded = await api().request('GET', `/v1/runs/${run.body.runId}`);
    expect(recorded.body).toMatchObject({ test: true, status: 'succeeded', httpStatus: 200 });
  });

  it('rejects bad values and unknown fields with problem JSON naming the field', async () => {
    const id = await newEndpoint();
    const hints = `/v1/endpoints/${id}/hints`;
    const cases: [string, string, unknown, string][] = [
      ['POST', hints, { kind: 'weekly' }, 'body.kind'],
      ['POST', hints, { kind: 'interval', intervalMs: -1, ttlMs: 1_000 }, 'body.intervalMs'],
      ['POST', hints, { kind: 'interval', intervalMs: 1_000 }, 'body.ttlMs'],
      ['POST', hints, { kind: 'oneShot', runAt: new Date().toISOString(), inMs: 5 }, 'body.inMs'],
      ['POST', hints, { kind: 'oneShot', when: 'now' }, 'body'],
      // Its expiry would land in year 10000, which no event can hold.
      ['POST', hints, { kind: 'oneShot', runAt: '9999-12-31T00:00:00Z' }, 'body.runAt'],
      ['DELETE', `${hints}?slot=weekly`, undefined, 'querystring.slot'],
      ['POST', `/v1/endpoints/${id}/run`, { urgent: true }, 'body'],
      ['POST', `/v1/endpoints/${id}/test-run`, { dryRun: true }, 'body'],
      ['POST', '/v1/endpoints/bad%21id/test-run', undefined, 'params.endpointId'],
    ];
    for (const [method, url, body, field] of cases) {
      const response = await api().request(method as 'GET', url, { body });
      expect(response.status, `${method} ${url}`).toBe(400);
      expect(response.body.type).toBe('/problems/validation');
      expect(response.body.errors[0].field, `${method} ${url}`).toBe(field);
    }
  });

  it("answers 404 for another tenant's endpoint and never calls its target", async () => {
    const id = await newEndpoint();
    const before = received.length;
    for (const [method, url, body] of [
      ['POST', `/v1/endpoints/${id}/hints`, { kind: 'oneShot' }],
      ['DELETE', `/v1/endpoints/${id}/hints`, undefined],
      ['POST', `/v1/endpoints/${id}/run`, {}],
      ['POST', `/v1/endpoints/${id}/test-run`, {}],
    ] as const) {
      const response = await api().request(method, url, { key: api().keys.t2, body });
      expect(response.status, `${method} ${url}`).toBe(404);
      expect(JSON.stringify(response.body)).not.toMatch(/hook|s3cret|127\.0\.0\.1/);
    }
    expect(received.length).toBe(before);
    const { body: endpoint } = await api().request('GET', `/v1/endpoints/${id}`);
    expect(endpoint.hints).toEqual({ interval: null, oneShot: null });
  });

  it('refuses every route without an API key', async () => {
    for (const [method, url] of [
      ['POST', '/v1/endpoints/e/hints'],
      ['DELETE', '/v1/endpoints/e/hints'],
      ['POST', '/v1/endpoints/e/run'],
      ['POST', '/v1/endpoints/e/test-run'],
    ] as const) {
      const response = await api().request(method, url, { key: null, body: {} });
      expect(response.status, `${method} ${url}`).toBe(401);
      expect(response.body.type).toBe('/problems/unauthorized');
    }
  });
});
