import { describe, expect, it } from 'vitest';
import { initialState } from '../endpoint/state.js';
import {
  DAY,
  HOUR,
  MINUTE,
  SECOND,
  T0,
  active,
  config,
  intervalHint,
  lastRun,
  oneShotHint,
} from './arbitraries.test-support.js';
import { nextRun } from './governor.js';

describe('governor: lifecycle', () => {
  it('given an unregistered endpoint, then it never runs', () => {
    const d = nextRun(initialState(), T0);
    expect(d).toMatchObject({ at: null, slot: null, reason: 'unregistered' });
  });

  it('given an archived endpoint, then it never runs, even with a pause or hints', () => {
    const state = active({
      status: 'archived',
      pause: { until: T0 + HOUR, reason: 'x' },
      hints: { interval: null, oneShot: oneShotHint(T0, T0 + DAY) },
    });
    expect(nextRun(state, T0)).toMatchObject({ at: null, reason: 'archived' });
  });

  it('given an active endpoint without a config, then it throws (broken invariant)', () => {
    expect(() => nextRun(active({ config: null }), T0)).toThrow(/no config/);
  });
});

describe('governor rule 1: pause wins', () => {
  const busy = active({
    lastRun: lastRun(T0, T0),
    config: config({ minIntervalMs: 10 * MINUTE, maxIntervalMs: 20 * MINUTE, jitterMs: 5_000 }),
    hints: {
      interval: intervalHint(SECOND, T0 + DAY),
      oneShot: oneShotHint(T0 + SECOND, T0 + DAY),
    },
  });

  it('given paused until T > now, then at = T, unclamped, unjittered, hints ignored', () => {
    const until = T0 + 3 * DAY; // far beyond maxIntervalMs
    const d = nextRun({ ...busy, pause: { until, reason: 'maintenance' } }, T0 + MINUTE);
    expect(d).toMatchObject({ at: until, slot: until, reason: 'paused' });
    expect(d.inputs.pause).toEqual({ until, reason: 'maintenance', lapsed: false });
    expect(d.inputs.clamp).toBeNull();
    expect(d.inputs.jitter).toBeNull();
  });

  it('given paused until resumed, then never', () => {
    const d = nextRun({ ...busy, pause: { until: null, reason: 'manual' } }, T0 + MINUTE);
    expect(d).toMatchObject({ at: null, reason: 'paused_indefinitely' });
  });

  it('given a pause that lapsed (until <= now), then it is ignored and recorded as lapsed', () => {
    const plain = active({ lastRun: lastRun(T0, T0) });
    const d = nextRun({ ...plain, pause: { until: T0 + MINUTE, reason: 'short' } }, T0 + MINUTE);
    expect(d).toMatchObject({ at: T0 + MINUTE, reason: 'baseline_interval' });
    expect(d.inputs.pause?.lapsed).toBe(true);
  });
});

describe('governor rule 2: an interval hint replaces the baseline and its backoff', () => {
  const failing = active({
    lastRun: lastRun(T0, T0 + 200),
    consecutiveFailures: 4,
    config: config({ baseline: { kind: 'interval', everyMs: HOUR }, jitterMs: 30_000 }),
  });

  it('given a live 5-minute hint on a failing hourly endpoint, then the next run is 5 minutes after the slot', () => {
    const state = {
      ...failing,
      hints: { interval: intervalHint(5 * MINUTE, T0 + DAY), oneShot: null },
    };
    const d = nextRun(state, T0 + MINUTE);
    expect(d).toMatchObject({
      at: T0 + 5 * MINUTE,
      slot: T0 + 5 * MINUTE,
      reason: 'interval_hint',
    });
    expect(d.inputs.backoff).toBeNull();
    expect(d.inputs.jitter).toBeNull();
    expect(d.inputs.intervalHint).toMatchObject({
      hintId: 'h_interval',
      source: 'planner',
      expiresAt: T0 + DAY,
    });
  });

  it('given the hint expired (expiresAt = now), then the backed-off baseline applies again', () => {
    const state = {
      ...failing,
      hints: { interval: intervalHint(5 * MINUTE, T0 + MINUTE), oneShot: null },
    };
    const d = nextRun(state, T0 + MINUTE);
    expect(d.reason).toBe('baseline_interval');
    // 1 h * 2^4 = 16 h, capped at backoff.maxMs = 1 h, never below the interval: 1 h.
    expect(d.inputs.backoff).toMatchObject({ failures: 4, baseMs: HOUR, delayMs: HOUR });
    expect(d.inputs.ignoredHints).toEqual([
      { slot: 'interval', hintId: 'h_interval', expiresAt: T0 + MINUTE, why: 'expired' },
    ]);
  });

  it('given a hint on an endpoint that never ran, then it runs right away', () => {
    const state = active({ hints: { interval: intervalHint(MINUTE, T0 + DAY), oneShot: null } });
    expect(nextRun(state, T0 + HOUR)).toMatchObject({ at: T0, reason: 'interval_hint' });
  });
});

describe('governor rule 3: a one-shot hint competes, the earlier wins', () => {
  const hourly = active({
    lastRun: lastRun(T0, T0),
    config: config({ baseline: { kind: 'interval', everyMs: HOUR } }),
  });

  it('given a one-shot before the next baseline slot, then it wins', () => {
    const state = {
      ...hourly,
      hints: { interval: null, oneShot: oneShotHint(T0 + 10 * MINUTE, T0 + DAY) },
    };
    const d = nextRun(state, T0 + MINUTE);
    expect(d).toMatchObject({
      at: T0 + 10 * MINUTE,
      slot: T0 + 10 * MINUTE,
      reason: 'one_shot_hint',
    });
    expect(d.inputs.oneShotHint).toMatchObject({ hintId: 'h_oneshot', won: true });
    expect(d.inputs.cadenceAt).toBe(T0 + HOUR);
  });

  it('given a one-shot after the next baseline slot, then the baseline wins', () => {
    const state = {
      ...hourly,
      hints: { interval: null, oneShot: oneShotHint(T0 + 2 * HOUR, T0 + DAY) },
    };
    const d = nextRun(state, T0 + MINUTE);
    expect(d).toMatchObject({ at: T0 + HOUR, reason: 'baseline_interval' });
    expect(d.inputs.oneShotHint?.won).toBe(false);
  });

  it('given a one-shot that competes with an interval hint, then the earlier of the two wins', () => {
    const hints = {
      interval: intervalHint(5 * MINUTE, T0 + DAY),
      oneShot: oneShotHint(T0 + 2 * MINUTE, T0 + DAY),
    };
    expect(nextRun({ ...hourly, hints }, T0 + MINUTE)).toMatchObject({
      at: T0 + 2 * MINUTE,
      reason: 'one_shot_hint',
    });
  });

  it('given a one-shot at or before the last dispatch, then it is satisfied and ignored', () => {
    const state = { ...hourly, hints: { interval: null, oneShot: oneShotHint(T0, T0 + DAY) } };
    const d = nextRun(state, T0 + MINUTE);
    expect(d).toMatchObject({ at: T0 + HOUR, reason: 'baseline_interval' });
    expect(d.inputs.ignoredHints[0]).toMatchObject({ slot: 'oneShot', why: 'satisfied' });
  });

  it('given an expired one-shot, then it is ignored', () => {
    const state = {
      ...hourly,
      hints: { interval: null, oneShot: oneShotHint(T0 + 10 * MINUTE, T0 + MINUTE) },
    };
    expect(nextRun(state, T0 + 2 * MINUTE)).toMatchObject({
      at: T0 + HOUR,
      reason: 'baseline_interval',
    });
  });
});

describe('governor rule 1: a job holds its endpoints', () => {
  const actor = { kind: 'user' as const, id: 'key:1' };
  const jobHold = (pause: { until: number | null } | null, archived = false) => ({
    job: {
      jobId: 'j1',
      version: 3,
      archived,
      pause: pause && { until: pause.until, reason: 'freeze', actor },
    },
  });
  const running = active({ lastRun: lastRun(T0, T0) });

  it('given its job paused until T, then at = T, with the job as the reason and input', () => {
    const d = nextRun(running, T0 + MINUTE, jobHold({ until: T0 + DAY }));
    expect(d).toMatchObject({ at: T0 + DAY, slot: T0 + DAY, reason: 'job_paused' });
    expect(d.inputs.job).toMatchObject({ jobId: 'j1', pause: { reason: 'freeze', actor } });
  });

  it('given both paused, then the later end wins, whichever it is', () => {
    const own = { ...running, pause: { until: T0 + 2 * DAY, reason: 'mine' } };
    expect(nextRun(own, T0, jobHold({ until: T0 + DAY }))).toMatchObject({
      at: T0 + 2 * DAY,
      reason: 'paused',
    });
    expect(nextRun(own, T0, jobHold({ until: T0 + 3 * DAY }))).toMatchObject({
      at: T0 + 3 * DAY,
      reason: 'job_paused',
    });
  });

  it('given its job paused until resumed, or archived, then never', () => {
    expect(nextRun(running, T0, jobHold({ until: null }))).toMatchObject({
      at: null,
      reason: 'job_paused_indefinitely',
    });
    expect(nextRun(running, T0, jobHold(null, true))).toMatchObject({
      at: null,
      reason: 'job_archived',
    });
  });

  it('given a job pause that has lapsed, then the schedule as without it', () => {
    const d = nextRun(running, T0 + 2 * DAY, jobHold({ until: T0 + DAY }));
    expect(d.reason).toBe('baseline_interval');
    expect(d).toEqual({ ...nextRun(running, T0 + 2 * DAY), inputs: d.inputs });
  });
});

describe('governor rule 1: a disabled tenant holds every endpoint it has', () => {
  it('given its tenant disabled, then never, with the tenant as the reason and input', () => {
    const tenant = {
      tenantId: 't1',
      disabled: { reason: 'invoice unpaid', actor: { kind: 'system' as const, id: 'admin' } },
    };
    const d = nextRun(active({ lastRun: lastRun(T0, T0) }), T0, { job: null, tenant });
    expect(d).toMatchObject({ at: null, reason: 'tenant_disabled' });
    expect(d.inputs.tenant).toEqual(tenant);
    const enabled = { job: null, tenant: { tenantId: 't1', disabled: null } };
    expect(nextRun(active(), T0, enabled).reason).toBe('first_run');
  });
});
