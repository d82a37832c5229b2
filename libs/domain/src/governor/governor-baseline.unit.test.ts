import { describe, expect, it } from 'vitest';
import {
  DAY,
  HOUR,
  MINUTE,
  SECOND,
  T0,
  active,
  config,
  lastRun,
  oneShotHint,
} from './arbitraries.test-support.js';
import type { EndpointConfig } from '../endpoint/config.js';
import { nextRun } from './governor.js';
import { jitterOffset } from './jitter.js';

describe('governor rule 4: interval baseline anchoring and backoff', () => {
  const every = (everyMs: number, failures = 0) =>
    active({
      config: config({ baseline: { kind: 'interval', everyMs } }),
      consecutiveFailures: failures,
    });

  it('given it never ran, then it is due at registration (right away)', () => {
    const d = nextRun(every(HOUR), T0 + 3 * HOUR);
    expect(d).toMatchObject({ at: T0, slot: T0, reason: 'first_run' });
    expect(d.inputs.anchor).toEqual({ kind: 'registeredAt', at: T0 });
  });

  it('given a punctual run dispatched a little late, then the cadence keeps its grid (no drift)', () => {
    const d = nextRun({ ...every(MINUTE), lastRun: lastRun(T0, T0 + 750) }, T0 + SECOND);
    expect(d.at).toBe(T0 + MINUTE);
  });

  it('given missed slots (dispatched 3.5 intervals late), then they coalesce into the one run', () => {
    const d = nextRun(
      { ...every(MINUTE), lastRun: lastRun(T0, T0 + 3.5 * MINUTE) },
      T0 + 4 * MINUTE,
    );
    expect(d.at).toBe(T0 + 4 * MINUTE);
  });

  it('given 3 failures with factor 2, then the step is interval * 8 on the same grid', () => {
    const d = nextRun({ ...every(MINUTE, 3), lastRun: lastRun(T0, T0 + 100) }, T0 + SECOND);
    expect(d).toMatchObject({ at: T0 + 8 * MINUTE, reason: 'baseline_interval' });
    expect(d.inputs.backoff).toEqual({
      failures: 3,
      factor: 2,
      maxMs: HOUR,
      baseMs: MINUTE,
      delayMs: 8 * MINUTE,
      notBefore: null,
    });
  });

  it('given thousands of failures, then the delay is capped at backoff.maxMs', () => {
    const d = nextRun({ ...every(MINUTE, 5_000), lastRun: lastRun(T0, T0) }, T0);
    expect(d.at).toBe(T0 + HOUR);
  });
});

describe('governor rule 5: clamp to [min, max] from the last dispatch', () => {
  const base = (overrides: Parameters<typeof config>[0]) =>
    active({ config: config(overrides), lastRun: lastRun(T0, T0 + 5 * SECOND) });

  it('given a one-shot closer than minIntervalMs, then it is pushed to dispatchedAt + min', () => {
    const state = {
      ...base({ baseline: { kind: 'interval', everyMs: HOUR }, minIntervalMs: 10 * MINUTE }),
      hints: { interval: null, oneShot: oneShotHint(T0 + MINUTE, T0 + DAY) },
    };
    const d = nextRun(state, T0 + 10 * SECOND);
    expect(d).toMatchObject({
      at: T0 + 5 * SECOND + 10 * MINUTE,
      reason: 'one_shot_hint',
      slot: T0 + MINUTE,
    });
    expect(d.inputs.clamp).toEqual({
      bound: 'min',
      limit: T0 + 5 * SECOND + 10 * MINUTE,
      intervalMs: 10 * MINUTE,
    });
    expect(d.inputs.candidate).toBe(T0 + MINUTE);
  });

  it('given a daily baseline and maxIntervalMs of 1 h, then the run is pulled in to dispatchedAt + 1 h', () => {
    const daily = base({ baseline: { kind: 'interval', everyMs: DAY }, maxIntervalMs: HOUR });
    const d = nextRun(daily, T0 + MINUTE);
    expect(d).toMatchObject({
      at: T0 + 5 * SECOND + HOUR,
      slot: T0 + 5 * SECOND + HOUR,
      reason: 'baseline_interval',
    });
    expect(d.inputs.clamp).toMatchObject({ bound: 'max', intervalMs: HOUR });
  });

  it('given a cron with no occurrence left, then never — unless maxIntervalMs gives a time', () => {
    const baseline = { kind: 'cron' as const, expression: '0 0 0 1 1 * 2020', timezone: 'UTC' };
    expect(nextRun(base({ baseline }), T0)).toMatchObject({ at: null, reason: 'cron_exhausted' });
    expect(nextRun(base({ baseline, maxIntervalMs: DAY }), T0)).toMatchObject({
      at: T0 + 5 * SECOND + DAY,
      reason: 'baseline_cron',
    });
  });
});

describe('governor rule 6: deterministic jitter on baseline times', () => {
  const jittered = active({
    endpointId: 'ep_jitter',
    config: config({ baseline: { kind: 'interval', everyMs: HOUR }, jitterMs: 10 * MINUTE }),
    lastRun: lastRun(T0, T0 + 2 * SECOND),
  });

  it('given jitterMs, then at = slot + hash(endpointId, slot) and the slot stays on the grid', () => {
    const d = nextRun(jittered, T0 + MINUTE);
    const offset = jitterOffset('ep_jitter', T0 + HOUR, 10 * MINUTE);
    expect(offset).toBeGreaterThan(0); // pinned: this id and slot hash to a non-zero offset
    expect(d).toMatchObject({ at: T0 + HOUR + offset, slot: T0 + HOUR });
    expect(d.inputs.jitter).toEqual({ slot: T0 + HOUR, offsetMs: offset, jitterMs: 10 * MINUTE });
  });

  it('given the run was recorded for its slot, then the next one is on the grid again (jitter does not drift)', () => {
    const first = nextRun(jittered, T0 + MINUTE);
    if (first.at === null) throw new Error('expected a run');
    const after = nextRun({ ...jittered, lastRun: lastRun(first.slot, first.at) }, first.at);
    expect(after.slot).toBe(T0 + 2 * HOUR);
  });

  it('given a one-shot hint wins, then no jitter is added to it', () => {
    const state = {
      ...jittered,
      hints: { interval: null, oneShot: oneShotHint(T0 + 30 * MINUTE, T0 + DAY) },
    };
    expect(nextRun(state, T0 + MINUTE).at).toBe(T0 + 30 * MINUTE);
  });
});

describe('governor: a run in flight', () => {
  it('given a run in flight, then at does not change and the run is recorded', () => {
    const run = lastRun(T0, T0);
    const idle = active({ lastRun: run });
    const busy = active({
      lastRun: run,
      inFlight: { ...run, leaseUntil: T0 + MINUTE, attempt: 2 },
    });
    const d = nextRun(busy, T0 + SECOND);
    expect(d.at).toBe(nextRun(idle, T0 + SECOND).at);
    expect(d.inputs.inFlight).toEqual({ runId: run.runId, leaseUntil: T0 + MINUTE, attempt: 2 });
  });
});

describe('start policy: when a new endpoint first runs', () => {
  const every = config({ baseline: { kind: 'interval', everyMs: 30 * DAY } });
  const first = (start: EndpointConfig['start'], base = every) =>
    nextRun(active({ config: { ...base, ...(start ? { start } : {}) } }), T0);

  it('given next_slot, then one interval after registration (a 30-day interval waits 30 days)', () => {
    expect(first({ kind: 'next_slot' })).toMatchObject({ at: T0 + 30 * DAY, reason: 'first_run' });
  });

  it('given immediately, then at registration; given a time, then at that time', () => {
    expect(first({ kind: 'immediately' }).at).toBe(T0);
    const at = T0 + 3 * HOUR;
    expect(first({ kind: 'at', at: new Date(at).toISOString() }).at).toBe(at);
  });

  it('given a time, then the grid runs from it afterwards', () => {
    const at = T0 + 3 * HOUR;
    const ran = active({
      config: { ...every, start: { kind: 'at', at: new Date(at).toISOString() } },
      lastRun: lastRun(at, at),
    });
    expect(nextRun(ran, at + 1).at).toBe(at + 30 * DAY);
  });

  it('given a cron and next_slot, then its first occurrence after registration', () => {
    const cron = config({ baseline: { kind: 'cron', expression: '0 * * * *', timezone: 'UTC' } });
    expect(first({ kind: 'next_slot' }, cron).at).toBe(T0 + HOUR);
  });

  it('given no policy (registered before it existed), then as before: an interval at once', () => {
    expect(first(undefined).at).toBe(T0);
  });
});

describe('trigger-only endpoints (no baseline)', () => {
  const none = config({ baseline: { kind: 'none' } });

  it('given nothing asks, then never, and says why', () => {
    expect(nextRun(active({ config: none }), T0)).toMatchObject({
      at: null,
      reason: 'trigger_only',
    });
    const ran = active({ config: none, lastRun: lastRun(T0, T0) });
    expect(nextRun(ran, T0 + DAY)).toMatchObject({ at: null, reason: 'trigger_only' });
  });

  it('given a one-shot hint, then at its time', () => {
    const hinted = active({
      config: none,
      lastRun: lastRun(T0, T0),
      hints: { interval: null, oneShot: oneShotHint(T0 + HOUR, T0 + DAY) },
    });
    expect(nextRun(hinted, T0 + MINUTE)).toMatchObject({ at: T0 + HOUR, reason: 'one_shot_hint' });
  });

  it('given a max interval, then at most that long after its last run', () => {
    const capped = active({ config: { ...none, maxIntervalMs: DAY }, lastRun: lastRun(T0, T0) });
    expect(nextRun(capped, T0 + 1)).toMatchObject({ at: T0 + DAY, reason: 'max_interval' });
  });
});
