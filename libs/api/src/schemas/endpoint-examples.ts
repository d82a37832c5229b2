import type { DependencyView } from './dependencies.js';
import type { EndpointView } from './endpoints.js';
import type { IntervalHintView, OneShotHintView } from './hint-views.js';

/**
 * Examples of the endpoint answers, taken from the demo (`npm start`): the orders poll of
 * `demo-shop`, and `demo-pack` in `demo-fulfilment`, which a cascade runs when the poll reports
 * new orders. Only types are imported, so the schema files can import these.
 */

/** A user's interval hint, clamped to the endpoint's `minIntervalMs`. */
export const intervalHintExample: IntervalHintView = {
  kind: 'interval',
  intervalMs: 1_000,
  hintId: '5d0c6f2e-8a4b-4c1e-9f3a-2b7d1e6c4a90',
  source: 'user',
  sourceId: 'key:3be2c1d0a9f4',
  expiresAt: '2026-03-02T10:00:00.000Z',
  reason: 'flash sale: poll the orders faster',
  clamped: { requested: 500, applied: 1_000, bound: 'min' },
};

/** A run-now hint: due at once, lapsing 10 minutes later. */
export const oneShotHintExample: OneShotHintView = {
  kind: 'oneShot',
  runAt: '2026-03-02T09:01:12.000Z',
  hintId: 'a41f9c3d-27e8-4b05-8d6a-0c9e5b3f7d12',
  source: 'user',
  sourceId: 'key:3be2c1d0a9f4',
  expiresAt: '2026-03-02T09:11:12.000Z',
  reason: 'the customer asked for fresh numbers',
};

/** The edge of the demo: new orders trigger packing. */
export const dependencyExample: DependencyView = {
  edgeId: 'demo-orders.demo-pack',
  name: 'orders',
  upstreamEndpointId: 'demo-orders',
  downstreamEndpointId: 'demo-pack',
  condition: 'body.new > 0',
  mode: 'trigger',
  freshness: { kind: 'since_last_run' },
};

const defaults = {
  start: { kind: 'next_slot' },
  timeoutMs: 10_000,
  responseCapBytes: 65_536,
  jitterMs: 0,
} as const;
const notHeld = { paused: null, archived: false };

/** The orders poll, sped up by a user's interval hint. */
const ordersPoll: EndpointView = {
  id: 'demo-orders',
  jobId: 'demo-shop',
  status: 'active',
  config: {
    name: 'orders poll',
    description: 'Fetches new orders; the shop fails now and then.',
    request: { method: 'GET', url: 'http://127.0.0.1:4610/orders', headers: {} },
    baseline: { kind: 'interval', everyMs: 3_000 },
    ...defaults,
    minIntervalMs: 1_000,
    backoff: { factor: 2, maxMs: 30_000 },
  },
  paused: null,
  hints: { interval: intervalHintExample, oneShot: null },
  schedule: { nextRunAt: '2026-03-02T09:00:01.000Z', reason: 'interval_hint' },
  lastRun: {
    runId: 'run-demo-orders-mm8y7c00',
    scheduledFor: '2026-03-02T09:00:00.000Z',
    dispatchedAt: '2026-03-02T09:00:00.012Z',
  },
  inFlight: null,
  consecutiveFailures: 0,
  registeredAt: '2026-03-02T08:00:00.000Z',
  job: notHeld,
  parked: [],
  dependsOn: [],
};

/** Packing, run by cascades from the orders poll, paused until resumed. */
const packing: EndpointView = {
  id: 'demo-pack',
  jobId: 'demo-fulfilment',
  status: 'active',
  config: {
    name: 'pack new orders',
    description: 'Runs when the orders poll reports new orders, for that batch.',
    request: {
      method: 'POST',
      url: 'http://127.0.0.1:4610/pack?batch={{ upstream.orders.body.batch_id }}',
      headers: { authorization: { value: '***', secret: true } },
      body: '{"orders": {{ upstream.orders.body.new }}}',
    },
    baseline: { kind: 'none' },
    ...defaults,
    minIntervalMs: 0,
    backoff: { factor: 2, maxMs: 3_600_000 },
  },
  paused: { until: null, reason: 'the packing line is being moved' },
  hints: { interval: null, oneShot: null },
  schedule: { nextRunAt: null, reason: 'paused_indefinitely' },
  lastRun: {
    runId: 'run-demo-pack-c1i',
    scheduledFor: '2026-03-02T08:59:57.061Z',
    dispatchedAt: '2026-03-02T08:59:57.064Z',
  },
  inFlight: null,
  consecutiveFailures: 0,
  registeredAt: '2026-03-02T08:00:00.000Z',
  job: notHeld,
  parked: [],
  dependsOn: [dependencyExample],
};

export const endpointExamples = [ordersPoll, packing];
