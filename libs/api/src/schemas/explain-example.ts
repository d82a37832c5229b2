import type { ExplanationView } from './explain.js';

/**
 * The example of an explanation: the demo's `demo-pack` the moment the orders poll reported new
 * orders, so a cascade chooses its next run. Only a type is imported, so explain.ts can import it.
 */

const now = '2026-03-02T08:59:57.061Z';
const newOrdersRun = 'run-demo-orders-mm8y79oo';
const chain = ['demo-orders', 'demo-pack'];
const edgeId = 'demo-orders.demo-pack';
const user = { kind: 'user', id: 'key:3be2c1d0a9f4' } as const;

/** The orders poll's answer that reported new orders (as `CascadeTriggered` refers to it). */
const response = {
  endpointId: 'demo-orders',
  runId: newOrdersRun,
  position: 1146,
  respondedAt: '2026-03-02T08:59:57.058Z',
  status: 200,
  ok: true,
};
const newOrders = { ...response, satisfied: true, correlation: null };

export const explanationExample: ExplanationView = {
  endpointId: 'demo-pack',
  jobId: 'demo-fulfilment',
  asOf: { position: 1147, time: now },
  streamVersion: 54,
  next: { at: now, slot: now, reason: 'cascade' },
  inputs: {
    now,
    status: 'active',
    pause: null,
    job: { jobId: 'demo-fulfilment', version: 3, archived: false, pause: null },
    tenant: { tenantId: 'default', disabled: null },
    baseline: { kind: 'none' },
    anchor: {
      kind: 'lastRun',
      runId: 'run-demo-pack-c1f',
      scheduledFor: '2026-03-02T08:59:54.049Z',
      dispatchedAt: '2026-03-02T08:59:54.052Z',
    },
    backoff: null,
    intervalHint: null,
    oneShotHint: null,
    ignoredHints: [],
    cadenceAt: null,
    jitter: null,
    candidate: now,
    clamp: null,
    inFlight: null,
    cascade: {
      pending: 1,
      head: { cascadeId: 'run-demo-pack-c1i', triggeredAt: now, won: true },
      failingEdges: [],
    },
  },
  hints: { interval: null, oneShot: null },
  bounds: { minIntervalMs: 0, maxIntervalMs: null, jitterMs: 0 },
  dependencies: {
    edges: [
      {
        edgeId,
        name: 'orders',
        upstreamEndpointId: 'demo-orders',
        mode: 'trigger',
        condition: 'body.new > 0',
        latest: newOrders,
        lastSatisfied: newOrders,
        gate: null,
        breaker: null,
        waiting: 0,
      },
    ],
    pending: [
      {
        cascadeId: 'run-demo-pack-c1i',
        triggeredAt: now,
        correlation: null,
        cascade: { root: newOrdersRun, depth: 1, chain },
        inputs: [{ edgeId, runId: newOrdersRun }],
      },
    ],
  },
  recentDecisions: {
    dispatches: [
      {
        position: 1131,
        recordedAt: '2026-03-02T08:59:54.052Z',
        runId: 'run-demo-pack-c1f',
        scheduledFor: '2026-03-02T08:59:54.049Z',
        dispatchedAt: '2026-03-02T08:59:54.052Z',
        attempt: 1,
        reason: 'cascade',
        hintId: null,
        cascade: { root: 'run-demo-orders-mm8y77dc', depth: 1, chain },
      },
    ],
    hintEvents: [
      {
        position: 1019,
        recordedAt: '2026-03-02T08:52:10.301Z',
        type: 'HintProposed',
        actor: user,
        hintId: 'c7e2a9d4-5b1f-4e08-a3c6-9d0f2b8e7a15',
        slot: 'oneShot',
        source: 'user',
        sourceId: user.id,
        reason: 'run now',
        expiresAt: '2026-03-02T09:02:10.301Z',
        runAt: '2026-03-02T08:52:10.301Z',
        proposedAt: '2026-03-02T08:52:10.301Z',
      },
    ],
    cascadeEvents: [
      {
        position: 1147,
        recordedAt: now,
        type: 'CascadeTriggered',
        edgeId,
        summary:
          `cascade run-demo-pack-c1i fired by demo-orders run ${newOrdersRun} (#1146); ` +
          'chain demo-orders → demo-pack',
        data: {
          cascadeId: 'run-demo-pack-c1i',
          triggeredAt: now,
          inputs: [{ edgeId, response }],
          correlation: null,
          cascade: { root: newOrdersRun, depth: 1, chain },
        },
      },
    ],
  },
};
