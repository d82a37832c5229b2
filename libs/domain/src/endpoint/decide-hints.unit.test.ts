import { describe, expect, it } from 'vitest';
import { makeEvent } from '../events/event.js';
import type { EventMetadata } from '../events/metadata.js';
import { fold } from './evolve.js';
import { given, userMeta } from './decider-spec.test-support.js';

const T0 = Date.parse('2026-01-01T00:00:00.000Z');
const iso = (ms: number) => new Date(ms).toISOString();
const planner: EventMetadata = { tenantId: 't1', actor: { kind: 'planner', id: 'heuristic' } };
const registered = makeEvent(
  'EndpointRegistered',
  {
    endpointId: 'e1',
    jobId: 'j1',
    tenantId: 't1',
    registeredAt: iso(T0),
    config: {
      name: 'orders',
      request: { url: 'http://127.0.0.1:8080/orders' },
      baseline: { kind: 'interval', everyMs: 60_000 },
      minIntervalMs: 10_000,
      maxIntervalMs: 600_000,
    },
  },
  userMeta,
);
const propose = (
  hintId: string,
  source: 'user' | 'cascade' | 'planner',
  hint:
    | { slot: 'interval'; intervalMs: number; ttlMs: number }
    | { slot: 'oneShot'; runAt?: number; ttlMs: number },
) => ({
  type: 'ProposeHint' as const,
  hintId,
  hint,
  source,
  sourceId: `${source}-1`,
  reason: 'because',
  ...(source === 'planner' ? { fromEndpointId: 'e1' } : {}),
});

describe('ProposeHint', () => {
  it('turns a TTL into an expiry instant', () => {
    given([registered])
      .when(propose('h1', 'user', { slot: 'interval', intervalMs: 30_000, ttlMs: 600_000 }), T0)
      .then([
        {
          type: 'HintProposed',
          data: {
            slot: 'interval',
            intervalMs: 30_000,
            hintId: 'h1',
            source: 'user',
            sourceId: 'user-1',
            reason: 'because',
            expiresAt: iso(T0 + 600_000),
            proposedAt: iso(T0),
          },
        },
      ]);
  });

  it('clamps an interval to the bounds and records the clamp', () => {
    const [event] = given([registered])
      .when(
        propose('h1', 'planner', { slot: 'interval', intervalMs: 1_000, ttlMs: 60_000 }),
        T0,
        planner,
      )
      .then([expect.objectContaining({ type: 'HintProposed' })]);
    expect(event?.data).toMatchObject({
      intervalMs: 10_000,
      clamped: { requested: 1_000, applied: 10_000, bound: 'min' },
    });
  });

  it('runs a one-shot in the past as soon as allowed', () => {
    const [event] = given([registered])
      .when(propose('h1', 'user', { slot: 'oneShot', runAt: T0 - 5_000, ttlMs: 60_000 }), T0)
      .then([expect.objectContaining({ type: 'HintProposed' })]);
    expect(event?.data).toMatchObject({ slot: 'oneShot', runAt: iso(T0) });
  });

  it('refuses a one-shot that expires before it runs', () => {
    given([registered])
      .when(propose('h1', 'user', { slot: 'oneShot', runAt: T0 + 120_000, ttlMs: 60_000 }), T0)
      .thenFails('validation', /expires before/, 'hint.ttlMs');
  });

  it('refuses a TTL beyond 366 days, so every expiry is an instant the log can hold', () => {
    given([registered])
      .when(propose('h1', 'user', { slot: 'oneShot', ttlMs: 367 * 24 * 3_600_000 }), T0)
      .thenFails('validation', /366 days/, 'hint.ttlMs');
  });

  it('records a planner hint on a paused endpoint as rejected: pause wins', () => {
    const paused = makeEvent('Paused', { until: iso(T0 + 60_000), reason: '' }, userMeta);
    given([registered, paused])
      .when(
        propose('h1', 'planner', { slot: 'interval', intervalMs: 30_000, ttlMs: 60_000 }),
        T0,
        planner,
      )
      .then([
        {
          type: 'HintRejected',
          data: {
            proposalId: 'h1',
            slot: 'interval',
            kind: 'interval',
            source: 'planner',
            sourceId: 'planner-1',
            fromEndpointId: 'e1',
            rule: 'pause_wins',
            detail: `e1 is paused until ${iso(T0 + 60_000)}: pause wins over planner proposals`,
            winner: { kind: 'pause', until: iso(T0 + 60_000) },
            requested: { intervalMs: 30_000, ttlMs: 60_000 },
          },
        },
      ]);
  });

  it('lets a user hint replace a planner hint, never the reverse; the replaced one is superseded', () => {
    const plannerHint = given([registered])
      .when(
        propose('p0', 'planner', { slot: 'interval', intervalMs: 40_000, ttlMs: 60_000 }),
        T0,
        planner,
      )
      .then([expect.objectContaining({ type: 'HintProposed' })]);
    const userHint = given([registered, ...plannerHint])
      .when(propose('u', 'user', { slot: 'interval', intervalMs: 20_000, ttlMs: 60_000 }), T0)
      .then([
        { type: 'HintSuperseded', data: { hintId: 'p0', slot: 'interval', byHintId: 'u' } },
        expect.objectContaining({ type: 'HintProposed' }),
      ]);
    const history = [registered, ...plannerHint, ...userHint];
    const [refused] = given(history)
      .when(
        propose('p', 'planner', { slot: 'interval', intervalMs: 30_000, ttlMs: 60_000 }),
        T0 + 1,
        planner,
      )
      .then([expect.objectContaining({ type: 'HintRejected' })]);
    expect(refused?.data).toMatchObject({ proposalId: 'p', rule: 'precedence' });
    // Once the user's hint has lapsed, the planner may fill the slot again: the lapsed hint's
    // outcome (its expiry) is recorded first.
    given(history)
      .when(
        propose('p', 'planner', { slot: 'interval', intervalMs: 30_000, ttlMs: 60_000 }),
        T0 + 60_000,
        planner,
      )
      .then([
        {
          type: 'HintExpired',
          data: { hintId: 'u', slot: 'interval', expiresAt: iso(T0 + 60_000) },
        },
        expect.objectContaining({ type: 'HintProposed' }),
      ]);
  });

  it('spends a one-shot hint on the run it caused', () => {
    const hint = given([registered])
      .when(propose('h1', 'user', { slot: 'oneShot', ttlMs: 60_000 }), T0)
      .then([expect.objectContaining({ type: 'HintProposed' })]);
    const run = makeEvent(
      'RunDispatched',
      {
        runId: 'r1',
        scheduledFor: iso(T0),
        dispatchedAt: iso(T0),
        leaseUntil: iso(T0 + 1_000),
        attempt: 1,
        reason: 'one_shot_hint',
        hintId: 'h1',
      },
      userMeta,
    );
    expect(fold([registered, ...hint]).hints.oneShot?.hintId).toBe('h1');
    expect(fold([registered, ...hint, run]).hints.oneShot).toBeNull();
  });
});

describe('ExpireHint and ClearHints', () => {
  const hint = makeEvent(
    'HintProposed',
    {
      slot: 'interval',
      intervalMs: 30_000,
      hintId: 'h1',
      source: 'planner',
      sourceId: 'p',
      reason: '',
      expiresAt: iso(T0 + 60_000),
    },
    planner,
  );

  it('records a lapsed hint and frees its slot', () => {
    const events = given([registered, hint])
      .when({ type: 'ExpireHint', slot: 'interval' }, T0 + 60_000)
      .then([
        {
          type: 'HintExpired',
          data: { hintId: 'h1', slot: 'interval', expiresAt: iso(T0 + 60_000) },
        },
      ]);
    expect(fold([registered, hint, ...events]).hints.interval).toBeNull();
  });

  it('refuses to expire a live hint, and has nothing to expire in an empty slot', () => {
    given([registered, hint])
      .when({ type: 'ExpireHint', slot: 'interval' }, T0 + 59_999)
      .thenFails('precondition');
    given([registered, hint]).when({ type: 'ExpireHint', slot: 'oneShot' }, T0).then([]);
  });

  it('clears only occupied slots', () => {
    given([registered, hint])
      .when({ type: 'ClearHints' }, T0)
      .then([{ type: 'HintsCleared', data: { slots: ['interval'], reason: '', hintIds: ['h1'] } }]);
    given([registered]).when({ type: 'ClearHints' }, T0).then([]);
  });
});
