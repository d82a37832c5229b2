import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { DAY, HOUR, instantArb, scenarioArb, withoutHints } from './arbitraries.test-support.js';
import { cronAfter } from './cron.js';
import { nextRun } from './governor.js';
import { jitterOffset } from './jitter.js';

const NUM_RUNS = 300;
/** How long ago a hint expired; 0 (expiresAt = now) is the boundary that matters most. */
const expiredAgo = fc.oneof(fc.constant(0), fc.nat(3 * DAY));
const check = (property: fc.IRawProperty<unknown[]>) => fc.assert(property, { numRuns: NUM_RUNS });

describe('governor properties', () => {
  it('pause always wins: until > now gives at = until; until null gives never', () => {
    check(
      fc.property(
        scenarioArb,
        fc.option(fc.integer({ min: 1, max: 400 * DAY }), { nil: null }),
        ({ state, now }, ahead) => {
          const until = ahead === null ? null : now + ahead;
          const d = nextRun({ ...state, pause: { until, reason: 'p' } }, now);
          expect(d.at).toBe(until);
          expect(d.reason).toBe(until === null ? 'paused_indefinitely' : 'paused');
        },
      ),
    );
  });

  it('with a last run and no pause, at lies within [dispatchedAt + min, dispatchedAt + max]', () => {
    check(
      fc.property(scenarioArb, ({ state, now }) => {
        fc.pre(state.lastRun !== null && state.config !== null);
        const { dispatchedAt } = state.lastRun!;
        const { minIntervalMs, maxIntervalMs } = state.config!;
        const d = nextRun(state, now);
        // With a max bound there is always a time; without one only an exhausted cron has none.
        if (maxIntervalMs !== undefined) expect(d.at).not.toBeNull();
        if (d.at === null) return;
        expect(d.at).toBeGreaterThanOrEqual(dispatchedAt + minIntervalMs);
        if (maxIntervalMs !== undefined)
          expect(d.at).toBeLessThanOrEqual(dispatchedAt + maxIntervalMs);
      }),
    );
  });

  it('expired hints have no effect: same at, slot and reason as without them', () => {
    check(
      fc.property(scenarioArb, expiredAgo, expiredAgo, ({ state, now }, agoI, agoO) => {
        const { interval, oneShot } = state.hints;
        const expired = {
          ...state,
          hints: {
            interval: interval && { ...interval, expiresAt: now - agoI },
            oneShot: oneShot && { ...oneShot, expiresAt: now - agoO },
          },
        };
        const withHints = nextRun(expired, now);
        const without = nextRun(withoutHints(state), now);
        expect([withHints.at, withHints.slot, withHints.reason]).toEqual([
          without.at,
          without.slot,
          without.reason,
        ]);
        expect(withHints.inputs.ignoredHints.every((h) => h.why === 'expired')).toBe(true);
      }),
    );
  });

  it('is deterministic: equal inputs give equal decisions, jitter included', () => {
    check(
      fc.property(scenarioArb, ({ state, now }) => {
        expect(nextRun(structuredClone(state), now)).toEqual(nextRun(state, now));
      }),
    );
  });

  it('jitter stays within [0, jitterMs) and is only added to baseline times', () => {
    check(
      fc.property(scenarioArb, ({ state, now }) => {
        const d = nextRun(state, now);
        const j = d.inputs.jitter;
        if (j === null) return;
        expect(Number.isInteger(j.offsetMs)).toBe(true);
        expect(j.offsetMs).toBeGreaterThanOrEqual(0);
        expect(j.offsetMs).toBeLessThan(j.jitterMs);
        expect(d.inputs.intervalHint).toBeNull();
        if (d.reason !== 'one_shot_hint' && d.inputs.clamp === null) {
          expect(d.at).toBe(j.slot + j.offsetMs);
          expect(d.slot).toBe(j.slot);
        }
      }),
    );
  });

  it('jitterOffset is a pure function in [0, jitterMs)', () => {
    check(
      fc.property(
        fc.string(),
        instantArb,
        fc.integer({ min: 1, max: DAY }),
        (id, slot, jitterMs) => {
          const offset = jitterOffset(id, slot, jitterMs);
          expect(offset).toBe(jitterOffset(id, slot, jitterMs));
          expect(Number.isInteger(offset) && offset >= 0 && offset < jitterMs).toBe(true);
        },
      ),
    );
  });

  it('jitter spreads: 1 000 endpoints on one slot use most of the window', () => {
    const slot = Date.parse('2026-01-01T00:00:00Z');
    const buckets = new Set(
      Array.from({ length: 1_000 }, (_, i) =>
        Math.floor(jitterOffset(`ep_${i}`, slot, HOUR) / (HOUR / 10)),
      ),
    );
    expect(buckets.size).toBe(10);
  });

  it('an interval baseline lands on the grid of the last slot, at its first point after the dispatch', () => {
    check(
      fc.property(scenarioArb, ({ state, now }) => {
        const c = state.config!;
        fc.pre(c.baseline.kind === 'interval' && state.lastRun !== null);
        const plain = {
          ...withoutHints(state),
          config: { ...c, minIntervalMs: 0, maxIntervalMs: undefined, jitterMs: 0 },
        };
        const d = nextRun(plain, now);
        const { scheduledFor, dispatchedAt } = state.lastRun!;
        const step =
          d.inputs.backoff?.delayMs ?? (c.baseline.kind === 'interval' ? c.baseline.everyMs : 0);
        expect(d.at).not.toBeNull();
        const k = (d.at! - scheduledFor) / step;
        expect(Number.isInteger(k) && k >= 1).toBe(true);
        expect(d.at).toBeGreaterThan(dispatchedAt);
        // Smallest such k: missed slots coalesce, the step before is not after the dispatch.
        if (k > 1) expect(d.at! - step).toBeLessThanOrEqual(dispatchedAt);
      }),
    );
  });

  it('a cron baseline lands on an occurrence strictly after the last slot and dispatch', () => {
    check(
      fc.property(scenarioArb, ({ state, now }) => {
        const c = state.config!;
        fc.pre(c.baseline.kind === 'cron' && state.lastRun !== null);
        const plain = {
          ...withoutHints(state),
          config: { ...c, minIntervalMs: 0, maxIntervalMs: undefined, jitterMs: 0 },
        };
        const d = nextRun(plain, now);
        if (d.at === null || c.baseline.kind !== 'cron') return;
        const { scheduledFor, dispatchedAt } = state.lastRun!;
        expect(d.at).toBeGreaterThan(Math.max(scheduledFor, dispatchedAt));
        // It is an occurrence: the first occurrence after (at - 1 ms) is at itself.
        expect(cronAfter(c.baseline, d.at - 1)).toBe(d.at);
      }),
    );
  });

  it('a live one-shot hint is never beaten by a later time (before the clamp)', () => {
    check(
      fc.property(scenarioArb, ({ state, now }) => {
        const d = nextRun(state, now);
        const o = d.inputs.oneShotHint;
        if (o === null || d.inputs.candidate === null) return;
        expect(d.inputs.candidate).toBeLessThanOrEqual(o.runAt);
        expect(o.won).toBe(d.reason === 'one_shot_hint');
      }),
    );
  });
});
