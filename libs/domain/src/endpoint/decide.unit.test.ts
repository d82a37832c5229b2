import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { makeEvent } from '../events/event.js';
import { HttpRequest } from './config.js';
import { decide } from './decide.js';
import { fold } from './evolve.js';
import { given, userMeta } from './decider-spec.test-support.js';

const T0 = Date.parse('2026-01-01T00:00:00.000Z');
const iso = (ms: number) => new Date(ms).toISOString();
const config = {
  name: 'orders',
  request: { url: 'http://127.0.0.1:8080/orders' },
  baseline: { kind: 'interval' as const, everyMs: 60_000 },
  minIntervalMs: 10_000,
  maxIntervalMs: 600_000,
};
const registered = makeEvent(
  'EndpointRegistered',
  { endpointId: 'e1', jobId: 'j1', tenantId: 't1', config, registeredAt: iso(T0) },
  userMeta,
);
const dispatched = (runId: string, at: number, leaseMs = 30_000) =>
  makeEvent(
    'RunDispatched',
    {
      runId,
      scheduledFor: iso(at),
      dispatchedAt: iso(at),
      leaseUntil: iso(at + leaseMs),
      attempt: 1,
      reason: 'baseline_interval',
    },
    userMeta,
  );
const response = (runId: string, ok: boolean) => ({
  runId,
  startedAt: iso(T0),
  finishedAt: iso(T0 + 5),
  durationMs: 5,
  status: ok ? 200 : 500,
  ok,
  headers: {},
  body: null,
  bodyTruncated: false,
});

describe('Register', () => {
  it('registers with defaults applied', () => {
    const [event] = given([])
      .when({ type: 'Register', endpointId: 'e1', jobId: 'j1', tenantId: 't1', config }, T0)
      .then([
        {
          type: 'EndpointRegistered',
          data: {
            ...registered.data,
            config: { ...registered.data.config, start: { kind: 'next_slot' } },
          },
        },
      ]);
    expect(event?.data).toMatchObject({
      config: { timeoutMs: 10_000, request: { method: 'GET' }, start: { kind: 'next_slot' } },
    });
  });

  it('names the offending field of a bad config', () => {
    given([])
      .when(
        {
          type: 'Register',
          endpointId: 'e1',
          jobId: 'j1',
          tenantId: 't1',
          config: {
            ...config,
            baseline: { kind: 'cron', expression: 'every tuesday', timezone: 'UTC' },
          },
        },
        T0,
      )
      .thenFails('validation', /cron/, 'config.baseline.expression');
  });

  it('refuses min above max', () => {
    given([])
      .when(
        {
          type: 'Register',
          endpointId: 'e1',
          jobId: 'j1',
          tenantId: 't1',
          config: { ...config, minIntervalMs: 700_000 },
        },
        T0,
      )
      .thenFails('validation', /maxIntervalMs/, 'config.maxIntervalMs');
  });

  it('refuses credentials in the URL, pointing to secret headers', () => {
    given([])
      .when(
        {
          type: 'Register',
          endpointId: 'e1',
          jobId: 'j1',
          tenantId: 't1',
          config: { ...config, request: { url: 'http://user:pass@127.0.0.1:8080/orders' } },
        },
        T0,
      )
      .thenFails('validation', /secret header/, 'config.request.url');
  });

  it('takes only absolute http(s) URLs, templates of a cascade included', () => {
    const register = (url: string) =>
      given([]).when(
        {
          type: 'Register',
          endpointId: 'e1',
          jobId: 'j1',
          tenantId: 't1',
          config: { ...config, request: { url } },
        },
        T0,
      );
    for (const bad of ['ftp://127.0.0.1/orders', '/orders', 'not a url']) {
      register(bad).thenFails('validation', /http:\/\/ or https:\/\/ URL/, 'config.request.url');
    }
    const url = 'http://127.0.0.1:4610/pack?batch={{ upstream.orders.body.batch_id }}';
    const decided = decide(
      {
        type: 'Register',
        endpointId: 'e1',
        jobId: 'j1',
        tenantId: 't1',
        config: { ...config, request: { url } },
      },
      fold([]),
      { now: T0, metadata: userMeta },
    );
    expect(decided.ok && decided.value[0]).toMatchObject({
      type: 'EndpointRegistered',
      data: { config: { request: { url } } },
    });
  });

  it('documents the URL without format: uri, which would refuse a template', () => {
    const url = z.toJSONSchema(HttpRequest, { io: 'input' }).properties?.['url'];
    expect(url).toMatchObject({ type: 'string' });
    expect(url).not.toHaveProperty('format');
  });

  it('refuses durations no schedule can use: min interval and backoff cap beyond 366 days', () => {
    for (const bad of [
      { ...config, minIntervalMs: Number.MAX_SAFE_INTEGER },
      { ...config, backoff: { factor: 2, maxMs: 400 * 24 * 3_600_000 } },
    ]) {
      given([])
        .when({ type: 'Register', endpointId: 'e1', jobId: 'j1', tenantId: 't1', config: bad }, T0)
        .thenFails('validation', /366|less than or equal/);
    }
  });

  it('refuses a second registration with another config', () => {
    given([registered])
      .when(
        {
          type: 'Register',
          endpointId: 'e1',
          jobId: 'j1',
          tenantId: 't1',
          config: { ...config, name: 'other' },
        },
        T0,
      )
      .thenFails('conflict', /config\.name/);
  });
});

describe('commands on an unknown or archived endpoint', () => {
  it('reconfiguring to the config it has appends nothing, whatever the stored key order', () => {
    const state = fold([registered]);
    // As a snapshot read back from jsonb holds it: the same config, keys in another order.
    const stored = {
      ...state,
      config: Object.fromEntries(Object.entries(state.config ?? {}).reverse()),
    };
    expect(Object.keys(stored.config)).not.toEqual(Object.keys(state.config ?? {}));
    const result = decide({ type: 'Reconfigure', config }, stored as typeof state, {
      now: T0,
      metadata: userMeta,
    });
    expect(result).toEqual({ ok: true, value: [] });
  });

  it('answers not_found before registration', () => {
    given([]).when({ type: 'Pause', until: null }, T0).thenFails('not_found');
  });

  it('refuses changes once archived, and archiving again is a no-op', () => {
    const archived = makeEvent('EndpointArchived', { reason: 'gone' }, userMeta);
    given([registered, archived])
      .when({ type: 'Resume' }, T0)
      .thenFails('conflict', /archived/);
    given([registered, archived]).when({ type: 'Archive' }, T0).then([]);
  });
});

describe('Pause and Resume', () => {
  it('pauses until a future instant', () => {
    given([registered])
      .when({ type: 'Pause', until: T0 + 3_600_000, reason: 'maintenance' }, T0)
      .then([{ type: 'Paused', data: { until: iso(T0 + 3_600_000), reason: 'maintenance' } }]);
  });

  it('refuses a pause that ends in the past', () => {
    given([registered])
      .when({ type: 'Pause', until: T0 - 1 }, T0)
      .thenFails('validation', /future/, 'until');
  });

  it('refuses a pause ending more than 100 years ahead (null pauses until resumed)', () => {
    given([registered])
      .when({ type: 'Pause', until: T0 + 101 * 365 * 24 * 3_600_000 }, T0)
      .thenFails('validation', /100 years/, 'until');
  });

  it('resumes a paused endpoint; resuming a running one changes nothing', () => {
    const paused = makeEvent('Paused', { until: null, reason: '' }, userMeta);
    given([registered, paused])
      .when({ type: 'Resume' }, T0)
      .then([{ type: 'Resumed', data: { reason: '' } }]);
    given([registered]).when({ type: 'Resume' }, T0).then([]);
  });
});

describe('RecordDispatch', () => {
  it('dispatches a slot with a lease', () => {
    given([registered])
      .when(
        {
          type: 'RecordDispatch',
          runId: 'r1',
          scheduledFor: T0,
          leaseMs: 30_000,
          reason: 'first_run',
        },
        T0 + 7,
      )
      .then([
        {
          type: 'RunDispatched',
          data: {
            runId: 'r1',
            scheduledFor: iso(T0),
            dispatchedAt: iso(T0 + 7),
            leaseUntil: iso(T0 + 30_007),
            attempt: 1,
            reason: 'first_run',
          },
        },
      ]);
  });

  it('refuses a second dispatch while a lease is live', () => {
    given([registered, dispatched('r1', T0)])
      .when(
        {
          type: 'RecordDispatch',
          runId: 'r2',
          scheduledFor: T0 + 60_000,
          leaseMs: 30_000,
          reason: 'x',
        },
        T0 + 1_000,
      )
      .thenFails('conflict', /in flight/);
  });

  it('re-dispatches the same slot and run id after the lease lapses', () => {
    given([registered, dispatched('r1', T0)])
      .when(
        {
          type: 'RecordDispatch',
          runId: 'r1',
          scheduledFor: T0 + 99,
          leaseMs: 30_000,
          reason: 'x',
        },
        T0 + 31_000,
      )
      .then([
        {
          type: 'RunDispatched',
          data: {
            runId: 'r1',
            scheduledFor: iso(T0),
            dispatchedAt: iso(T0 + 31_000),
            leaseUntil: iso(T0 + 61_000),
            attempt: 2,
            reason: 'lease_expired',
          },
        },
      ]);
  });

  it('refuses a new slot while a lapsed run awaits re-dispatch', () => {
    given([registered, dispatched('r1', T0)])
      .when(
        { type: 'RecordDispatch', runId: 'r2', scheduledFor: T0, leaseMs: 1, reason: 'x' },
        T0 + 31_000,
      )
      .thenFails('precondition', /lapsed/, 'runId');
  });
});

describe('RecordResponse', () => {
  it('records the in-flight run and is idempotent per run id', () => {
    const [recorded] = given([registered, dispatched('r1', T0)])
      .when({ type: 'RecordResponse', response: response('r1', true) }, T0 + 10)
      .then([{ type: 'ResponseRecorded', data: { ...response('r1', true), test: false } }]);
    given([registered, dispatched('r1', T0), recorded!])
      .when({ type: 'RecordResponse', response: response('r1', true) }, T0 + 20)
      .then([]);
  });

  it('refuses a response for a run that was never dispatched', () => {
    given([registered])
      .when({ type: 'RecordResponse', response: response('nope', true) }, T0)
      .thenFails('not_found');
  });

  it('counts consecutive failures and resets them on success', () => {
    const fail1 = makeEvent('ResponseRecorded', response('r1', false), userMeta);
    const fail2 = makeEvent('ResponseRecorded', response('r2', false), userMeta);
    const ok3 = makeEvent('ResponseRecorded', response('r3', true), userMeta);
    const history = [registered, dispatched('r1', T0), fail1, dispatched('r2', T0 + 60_000), fail2];
    expect(fold(history).consecutiveFailures).toBe(2);
    expect(fold([...history, dispatched('r3', T0 + 120_000), ok3]).consecutiveFailures).toBe(0);
  });

  it('records a test run without touching the schedule', () => {
    const test = { ...response('t-1', false), test: true };
    const events = given([registered])
      .when({ type: 'RecordResponse', response: test }, T0)
      .then([{ type: 'ResponseRecorded', data: test }]);
    expect(fold([registered, ...events]).consecutiveFailures).toBe(0);
  });
});

describe('Register: request headers', () => {
  const withHeaders = (headers: Record<string, { value: string; secret?: boolean }>) => ({
    type: 'Register' as const,
    endpointId: 'e1',
    jobId: 'j1',
    tenantId: 't1',
    config: { ...config, request: { url: 'http://127.0.0.1:8080/x', headers } },
  });

  it('refuses a header name that is not an HTTP token, and a value with a line break', () => {
    given([])
      .when(withHeaders({ 'bad name:': { value: 'v' } }), T0)
      .thenFails('validation', /HTTP token/);
    given([])
      .when(withHeaders({ 'x-ok': { value: 'v\r\nx-injected: 1' } }), T0)
      .thenFails('validation', /CR, LF/, 'config.request.headers.x-ok.value');
  });
});
