import { describe, it, expect, beforeAll, afterAll } from 'vitest';
import { createHttpCaller } from './http-caller.js';
import type { CallRequest, HttpCaller } from './types.js';
import { STREAM_LIMIT_BYTES, closedPort, startTargetServer } from './target-server.test-support.js';

const secret = 'whsec_int';
/** A ticking clock: each reading is 7 ms after the previous one. */
let clockMs = 1_700_000_000_000;
const now = () => (clockMs += 7);

let target: Awaited<ReturnType<typeof startTargetServer>>;
let caller: HttpCaller;

const request = (path: string, extra: Partial<CallRequest> = {}): CallRequest => ({
  method: 'GET',
  url: target.url(path),
  headers: {},
  timeoutMs: 5_000,
  responseCapBytes: 64 * 1024,
  runId: 'run-1',
  ...extra,
});

beforeAll(async () => {
  target = await startTargetServer(secret, () => Math.floor(clockMs / 1000));
  caller = createHttpCaller({ allowLoopback: true, signingSecret: secret, now });
});

afterAll(async () => {
  await caller.close();
  await target.close();
});

describe('http caller against a real target', () => {
  it('sends idempotency key, traceparent and a verifiable signature; parses 2xx JSON', async () => {
    const traceparent = '00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01';
    const outcome = await caller.call(
      request('/json?page=2', {
        method: 'post',
        headers: { 'Idempotency-Key': 'spoofed', 'X-Tenant': 't1', 'Content-Type': 'text/plain' },
        body: '{"n":1}',
        runId: 'run-json',
        traceparent,
      }),
    );
    expect(outcome).toMatchObject({ status: 200, ok: true, bodyTruncated: false });
    expect(outcome.body).toEqual({ hello: 'world', n: 1 });
    expect(outcome.error).toBeUndefined();
    expect(outcome.durationMs).toBe(outcome.finishedAt - outcome.startedAt);
    expect(outcome.durationMs).toBeGreaterThan(0);

    const seen = target.seen.at(-1);
    expect(seen).toMatchObject({ method: 'POST', path: '/json?page=2', body: '{"n":1}' });
    expect(seen?.headers['idempotency-key']).toBe('run-json');
    expect(seen?.headers['traceparent']).toBe(traceparent);
    expect(seen?.headers['x-tenant']).toBe('t1');
    expect(seen?.signature).toMatchObject({ valid: true });
  });

  it('records only the header subset, lower-cased', async () => {
    const outcome = await caller.call(request('/json'));
    expect(outcome.headers).toEqual({
      'content-type': 'application/json; charset=utf-8',
      'content-length': String('{"hello":"world","n":1}'.length),
      'x-request-id': 'req-1',
      'ratelimit-remaining': '9',
      'x-ratelimit-limit': '10',
      'retry-after': '30',
      'cache-control': 'no-store',
      etag: '"v1"',
    });
  });

  it('records a 500 as not ok, with status and body', async () => {
    const outcome = await caller.call(request('/fail'));
    expect(outcome).toMatchObject({ status: 500, ok: false, body: { error: 'boom' } });
    expect(outcome.error).toBeUndefined();
  });

  it('cuts an endless body at the cap, returns it as text and stops the transfer', async () => {
    const cap = 32 * 1024;
    const outcome = await caller.call(request('/stream', { responseCapBytes: cap }));
    expect(outcome).toMatchObject({ status: 200, ok: true, bodyTruncated: true });
    expect(outcome.error?.kind).toBe('too_large');
    expect(typeof outcome.body).toBe('string');
    expect(Buffer.byteLength(outcome.body as string)).toBe(cap);
    // The server notices the client went away well before its 10 MB bound.
    const streamed = await within(5_000, 'the stream to stop', () => target.streams[0]);
    expect(streamed).toMatchObject({ clientClosed: true });
    expect(streamed?.sentBytes).toBeLessThan(STREAM_LIMIT_BYTES);
  });

  it('times out a target that never answers', async () => {
    const outcome = await caller.call(request('/slow', { timeoutMs: 300 }));
    expect(outcome).toMatchObject({ status: null, ok: false, body: null });
    expect(outcome.error?.kind).toBe('timeout');
  });

  it('times out a body that never ends, keeping status and what arrived', async () => {
    const outcome = await caller.call(request('/slow-body', { timeoutMs: 300 }));
    expect(outcome).toMatchObject({ status: 200, ok: false, bodyTruncated: true });
    expect(outcome.body).toBe('partial ');
    expect(outcome.error?.kind).toBe('timeout');
  });

  it('times out a call queued behind a busy pool without waiting for the pool', async () => {
    const single = createHttpCaller({ allowLoopback: true, connections: 1 });
    const finished: string[] = [];
    try {
      const busy = single.call(request('/slow', { timeoutMs: 2_000 })).then((o) => {
        finished.push('busy');
        return o;
      });
      await within(5_000, 'the slow request to arrive', () =>
        target.seen.some((r) => r.path === '/slow') ? true : undefined,
      );
      const queued = await single.call(request('/json', { timeoutMs: 200 }));
      finished.push('queued');
      expect(queued.error?.kind).toBe('timeout');
      expect((await busy).error?.kind).toBe('timeout');
      expect(finished).toEqual(['queued', 'busy']);
    } finally {
      await single.close();
    }
  });

  it('reports a refused connection as a network error', async () => {
    const port = await closedPort();
    const outcome = await caller.call(request('/', { url: `http://127.0.0.1:${port}/` }));
    expect(outcome).toMatchObject({ status: null, ok: false });
    expect(outcome.error?.kind).toBe('network');
    expect(outcome.error?.message).toMatch(/ECONNREFUSED/);
  });

  it('reuses kept-alive connections across sequential calls', async () => {
    const pooled = createHttpCaller({ allowLoopback: true });
    const before = target.sockets.size;
    try {
      for (let i = 0; i < 20; i++) {
        expect((await pooled.call(request('/json', { runId: `run-${i}` }))).status).toBe(200);
      }
    } finally {
      await pooled.close();
    }
    // The pool may open a second or third socket while the first is being
    // released; without keep-alive it would be one per call.
    expect(target.sockets.size - before).toBeLessThanOrEqual(5);
  });
});

describe('address guard at connect time', () => {
  const strict = createHttpCaller({});
  afterAll(() => strict.close());

  it.each([
    [
      'an IPv4 literal',
      (port: number) => `http://127.0.0.1:${port}/json`,
      /^loopback address 127\.0\.0\.1 is not allowed \(set ALLOW_LOOPBACK\)$/,
    ],
    [
      'a decimal IPv4 literal',
      (port: number) => `http://2130706433:${port}/json`,
      /^loopback address 127\.0\.0\.1 is not allowed \(set ALLOW_LOOPBACK\)$/,
    ],
    [
      'an IPv4-mapped IPv6 literal',
      (port: number) => `http://[::ffff:127.0.0.1]:${port}/json`,
      /^loopback address ::ffff:7f00:1 \(embeds 127\.0\.0\.1\) is not allowed \(set ALLOW_LOOPBACK\)$/,
    ],
    [
      'a 6to4 literal embedding loopback',
      (port: number) => `http://[2002:7f00:1::]:${port}/json`,
      /^loopback address 2002:7f00:1:: \(embeds 127\.0\.0\.1\) is not allowed \(set ALLOW_LOOPBACK\)$/,
    ],
    [
      'a hostname resolving to loopback',
      (port: number) => `http://localhost:${port}/json`,
      /^localhost: loopback address (127\.0\.0\.1|::1) is not allowed \(set ALLOW_LOOPBACK\)/,
    ],
  ])('refuses %s and the target sees nothing', async (_what, url, named) => {
    const requests = target.seen.length;
    const sockets = target.sockets.size;
    const outcome = await strict.call(request('/json', { url: url(target.port) }));
    expect(outcome).toMatchObject({ status: null, ok: false, body: null });
    expect(outcome.error?.kind).toBe('refused');
    expect(outcome.error?.message).toMatch(named);
    expect(target.seen.length).toBe(requests);
    expect(target.sockets.size).toBe(sockets);
  });

  it('lets allowPrivateNetworks reach loopback by hostname', async () => {
    const open = createHttpCaller({ allowPrivateNetworks: true });
    try {
      const outcome = await open.call(
        request('/json', { url: `http://localhost:${target.port}/json` }),
      );
      expect(outcome).toMatchObject({ status: 200, ok: true });
    } finally {
      await open.close();
    }
  });
});

/** Polls `probe` until it returns a value, or fails after `ms` naming what it waited for. */
async function within<T>(ms: number, what: string, probe: () => T | undefined): Promise<T> {
  const deadline = Date.now() + ms;
  for (let value = probe(); ; value = probe()) {
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out after ${ms} ms waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}
