import { describe, it } from 'vitest';
import { makeEvent, type DomainEvent } from '../events/event.js';
import type { EndpointConfigInput } from './config.js';
import { given, userMeta } from './decider-spec.test-support.js';

const T0 = Date.parse('2026-01-01T00:00:00.000Z');
const config: EndpointConfigInput = {
  name: 'orders',
  request: {
    url: 'http://127.0.0.1:8080/orders',
    headers: {
      accept: { value: 'application/json' },
      authorization: { value: 'enc:v1:sealed', secret: true },
    },
  },
  baseline: { kind: 'interval', everyMs: 60_000 },
};
const register = (jobId: string, c: EndpointConfigInput) =>
  ({ type: 'Register', endpointId: 'e1', jobId, tenantId: 't1', config: c }) as const;
const registered = makeEvent(
  'EndpointRegistered',
  {
    endpointId: 'e1',
    jobId: 'j1',
    tenantId: 't1',
    config: { ...config, timeoutMs: 10_000 },
    registeredAt: new Date(T0).toISOString(),
  },
  userMeta,
);
const archived = makeEvent('EndpointArchived', { reason: 'done' }, userMeta);

describe('Register an endpoint that exists (idempotent per id)', () => {
  it('is already satisfied by the same job and config, defaults and key order aside', () => {
    const reordered: EndpointConfigInput = {
      baseline: { everyMs: 60_000, kind: 'interval' },
      request: {
        headers: {
          authorization: { secret: true, value: 'enc:v1:sealed' },
          accept: { value: 'application/json', secret: false },
        },
        method: 'GET',
        url: 'http://127.0.0.1:8080/orders',
      },
      name: 'orders',
      description: '',
    };
    given([registered])
      .when(register('j1', reordered), T0 + 1000)
      .then([]);
  });

  it('matches a config stored before one of its defaults existed', () => {
    // As the log would hold it had `jitterMs` been added to the schema after registration.
    const { jitterMs: _added, ...olderConfig } = registered.data.config;
    const older = {
      ...registered,
      data: { ...registered.data, config: olderConfig },
    } as unknown as DomainEvent;
    given([older]).when(register('j1', config), T0).then([]);
  });

  it('refuses another config, naming each field that differs', () => {
    const other = {
      ...config,
      request: { ...config.request, url: 'http://127.0.0.1:8080/other' },
      timeoutMs: 5_000,
    };
    given([registered])
      .when(register('j1', other), T0)
      .thenFails('conflict', /config\.request\.url, config\.timeoutMs/, 'config.request.url');
  });

  it('refuses another secret value (sealed differently) and another job', () => {
    const resealed = {
      ...config,
      request: {
        ...config.request,
        headers: { ...config.request.headers, authorization: { value: 'enc:v1:x', secret: true } },
      },
    };
    given([registered])
      .when(register('j1', resealed), T0)
      .thenFails('conflict', /config\.request\.headers\.authorization\.value/);
    given([registered]).when(register('j2', config), T0).thenFails('conflict', /jobId/, 'jobId');
  });

  it('refuses an archived endpoint, even with the same config', () => {
    given([registered, archived])
      .when(register('j1', config), T0)
      .thenFails('conflict', /archived/);
  });

  it('validates the config before comparing', () => {
    given([registered])
      .when(register('j1', { ...config, timeoutMs: 1 }), T0)
      .thenFails('validation', undefined, 'config.timeoutMs');
  });
});
