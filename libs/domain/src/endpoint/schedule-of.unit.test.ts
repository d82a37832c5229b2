import { makeEvent } from '../events/event.js';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  SECOND,
  T0,
  archived,
  dispatched,
  intervalHinted,
  oneShotHinted,
  pausedUntil,
  registered,
  responded,
  stateOf,
  userMeta,
} from './history.test-support.js';
import { runIdFor, scheduleOf } from './schedule-of.js';

describe('scheduleOf', () => {
  describe('given a run in flight', () => {
    const inFlight = [registered(), dispatched('run-1', T0, { leaseMs: 15 * SECOND })];

    it('holds the endpoint until the lease ends, then offers the same run again', () => {
      // The governor alone would say T0 + 1 s (overdue at T0 + 2 s).
      const view = scheduleOf(stateOf(...inFlight), T0 + 2 * SECOND);

      expect(view).toMatchObject({
        dueAt: T0 + 15 * SECOND,
        slot: T0,
        reason: 'lease_expired',
        redispatchRunId: 'run-1',
      });
      expect(view.decision.at).toBe(T0 + SECOND);
    });

    it('is still the same run once the lease has lapsed', () => {
      const view = scheduleOf(stateOf(...inFlight), T0 + 60 * SECOND);

      expect(view).toMatchObject({
        dueAt: T0 + 15 * SECOND,
        slot: T0,
        reason: 'lease_expired',
        redispatchRunId: 'run-1',
      });
    });

    it('keeps holding it after a test response (a test run does not answer the run)', () => {
      const view = scheduleOf(
        stateOf(...inFlight, responded('run-1', { test: true })),
        T0 + 2 * SECOND,
      );

      expect(view.reason).toBe('lease_expired');
      expect(view.redispatchRunId).toBe('run-1');
    });
  });

  describe('given no run in flight', () => {
    it('a never-run endpoint is due at registration for its first run', () => {
      const view = scheduleOf(stateOf(registered()), T0 + 5);

      expect(view).toMatchObject({
        dueAt: T0,
        slot: T0,
        reason: 'first_run',
        redispatchRunId: null,
        hintExpiresAt: null,
      });
    });

    it('after a recorded response, the next slot on the interval grid is due', () => {
      const state = stateOf(
        registered(),
        dispatched('run-1', T0, { dispatchedAt: T0 + 3 }),
        responded('run-1'),
      );

      const view = scheduleOf(state, T0 + 100);

      expect(view).toMatchObject({
        dueAt: T0 + SECOND,
        slot: T0 + SECOND,
        reason: 'baseline_interval',
        redispatchRunId: null,
      });
      expect(view.decision.at).toBe(view.dueAt);
    });

    it('a live interval hint sets the time and the slot', () => {
      const state = stateOf(
        registered(),
        dispatched('run-1', T0),
        responded('run-1'),
        intervalHinted('h1', 250, T0 + 60 * SECOND),
      );

      expect(scheduleOf(state, T0 + 100)).toMatchObject({
        dueAt: T0 + 250,
        slot: T0 + 250,
        reason: 'interval_hint',
      });
    });

    it('a pause with an end defers to that end', () => {
      const view = scheduleOf(stateOf(registered(), pausedUntil(T0 + 30 * SECOND)), T0 + 10);

      expect(view).toMatchObject({ dueAt: T0 + 30 * SECOND, slot: T0 + 30 * SECOND });
      expect(view.reason).toBe('paused');
    });

    it('pause wins over re-dispatching a lost run: it comes back when the pause ends', () => {
      const lost = (pause: number | null) =>
        stateOf(registered(), dispatched('r1', T0, { leaseMs: 1_000 }), pausedUntil(pause));
      expect(scheduleOf(lost(T0 + 60 * SECOND), T0 + 5 * SECOND)).toMatchObject({
        dueAt: T0 + 60 * SECOND,
        reason: 'paused',
        redispatchRunId: 'r1',
      });
      expect(scheduleOf(lost(null), T0 + 5 * SECOND)).toMatchObject({
        dueAt: null,
        redispatchRunId: 'r1',
      });
      expect(scheduleOf(lost(T0 + 2 * SECOND), T0 + 5 * SECOND)).toMatchObject({
        dueAt: T0 + 1_000,
        reason: 'lease_expired',
      });
    });

    it('a pause until resumed, or an archive, means never', () => {
      expect(scheduleOf(stateOf(registered(), pausedUntil(null)), T0)).toMatchObject({
        dueAt: null,
        slot: null,
        reason: 'paused_indefinitely',
      });
      expect(scheduleOf(stateOf(registered(), archived()), T0)).toMatchObject({
        dueAt: null,
        slot: null,
        reason: 'archived',
      });
    });

    it('an archive drops the run in flight instead of offering it again', () => {
      const state = stateOf(registered(), dispatched('run-1', T0), archived());

      expect(scheduleOf(state, T0 + 60 * SECOND)).toMatchObject({
        dueAt: null,
        redispatchRunId: null,
      });
    });
  });

  describe('hintExpiresAt', () => {
    const ran = [registered(), dispatched('run-1', T0), responded('run-1')];

    it('is null without hints', () => {
      expect(scheduleOf(stateOf(...ran), T0).hintExpiresAt).toBeNull();
    });

    it('is the expiry of the only hint', () => {
      const state = stateOf(...ran, intervalHinted('h1', 500, T0 + 60 * SECOND));

      expect(scheduleOf(state, T0).hintExpiresAt).toBe(T0 + 60 * SECOND);
    });

    it('is the earliest expiry across both slots', () => {
      const state = stateOf(
        ...ran,
        intervalHinted('h1', 500, T0 + 60 * SECOND),
        oneShotHinted('h2', T0 + 5 * SECOND, T0 + 20 * SECOND),
      );

      expect(scheduleOf(state, T0).hintExpiresAt).toBe(T0 + 20 * SECOND);
    });

    it('moves to the other slot once a hint is expired', () => {
      const state = stateOf(
        ...ran,
        intervalHinted('h1', 500, T0 + 60 * SECOND),
        oneShotHinted('h2', T0 + 5 * SECOND, T0 + 20 * SECOND),
        makeEvent(
          'HintExpired',
          { hintId: 'h2', slot: 'oneShot', expiresAt: new Date(T0 + 20 * SECOND).toISOString() },
          userMeta,
        ),
      );

      expect(scheduleOf(state, T0 + 20 * SECOND).hintExpiresAt).toBe(T0 + 60 * SECOND);
    });

    it('keeps a lapsed hint that is still in its slot due for expiry, while the schedule ignores it', () => {
      const state = stateOf(...ran, intervalHinted('h1', 250, T0 + 5 * SECOND));

      const view = scheduleOf(state, T0 + 10 * SECOND);

      expect(view.hintExpiresAt).toBe(T0 + 5 * SECOND);
      expect(view.reason).toBe('baseline_interval');
    });
  });
});

describe('runIdFor', () => {
  it('gives one run id per slot of an endpoint', () => {
    expect(runIdFor('e1', T0)).toBe(runIdFor('e1', T0));
    expect(runIdFor('e1', T0)).not.toBe(runIdFor('e1', T0 + 1));
    expect(runIdFor('e1', T0)).not.toBe(runIdFor('e2', T0));
  });

  it('never gives two (endpoint, slot) pairs the same run id', () => {
    const endpointId = fc.string({ minLength: 1, maxLength: 12 });
    const slot = fc.integer({ min: 0, max: 2 ** 47 });
    fc.assert(
      fc.property(endpointId, slot, endpointId, slot, (e1, s1, e2, s2) => {
        fc.pre(e1 !== e2 || s1 !== s2);
        expect(runIdFor(e1, s1)).not.toBe(runIdFor(e2, s2));
      }),
    );
  });
});

describe('scheduleOf under a job hold', () => {
  const hold = (until: number | null) => ({
    job: {
      jobId: 'j1',
      version: 2,
      archived: false,
      pause: { until, reason: 'freeze', actor: { kind: 'user' as const, id: 'u' } },
    },
  });

  it('holds a lost run until the job pause ends, then offers the same run again', () => {
    const lost = stateOf(registered(), dispatched('run-1', T0, { leaseMs: 15 * SECOND }));
    const view = scheduleOf(lost, T0 + 20 * SECOND, hold(T0 + 60 * SECOND));
    expect(view).toMatchObject({
      dueAt: T0 + 60 * SECOND,
      slot: T0,
      reason: 'job_paused',
      redispatchRunId: 'run-1',
    });
    expect(scheduleOf(lost, T0 + 20 * SECOND, hold(null)).dueAt).toBeNull();
  });
});
