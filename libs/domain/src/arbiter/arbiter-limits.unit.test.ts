import { describe, expect, it } from 'vitest';
import {
  accepted,
  edgeFrom,
  expectRejected,
  given,
  HOUR,
  interval,
  iso,
  MINUTE,
  oneShot,
  only,
  pause,
  proposal,
  registered,
  SECOND,
  T0,
} from './arbiter.test-support.js';
import { ArbiterPolicy } from './policy.js';

// The arbiter's limits, under the small policy of the test support: e1's bounds [10 s, 10 min]
// and a planner pause of at most 1 h; 2 direction changes per 30 min then 10 min of cooldown;
// 30 planner-induced extra runs per endpoint and 100 per job per hour. e1 runs every minute.

const at = T0 + MINUTE;
const minute = (n: number) => T0 + n * MINUTE;
const FASTER = 30 * SECOND;
const SLOWER = 90 * SECOND;

describe('bounds', () => {
  it('clamps an interval to the endpoint bounds and records the clamp, whoever asks', () => {
    const e = given(registered);
    const fast = proposal('p', 'planner', interval(SECOND, 2 * MINUTE));
    expect(accepted(e.propose(fast, at))).toMatchObject({
      intervalMs: 10_000,
      clamped: { requested: 1_000, applied: 10_000, bound: 'min' },
    });
    expect(accepted(e.propose(proposal('u', 'user', interval(HOUR)), at))).toMatchObject({
      intervalMs: 600_000,
      clamped: { requested: 3_600_000, applied: 600_000, bound: 'max' },
    });
  });

  it('clamps a planner pause to the longest the policy allows; a user pause is not clamped', () => {
    expect(
      only(given(registered).propose(proposal('p', 'planner', pause(at + 3 * HOUR)), at), 'Paused'),
    ).toEqual({
      until: iso(at + HOUR),
      reason: 'because',
      proposalId: 'p',
      source: 'planner',
      clamped: { requested: at + 3 * HOUR, applied: at + HOUR, bound: 'max' },
    });
    const longest = given(registered).propose(proposal('q', 'planner', pause(at + HOUR)), at);
    expect(only(longest, 'Paused').clamped).toBeUndefined();
    const byUser = given(registered).propose(proposal('u', 'user', pause(at + 3 * HOUR)), at);
    expect(only(byUser, 'Paused')).toMatchObject({ until: iso(at + 3 * HOUR) });
  });
});

describe('anti-thrash', () => {
  // Short TTLs, so that the budget stays out of the way.
  const planner = (id: string, intervalMs: number) =>
    proposal(id, 'planner', interval(intervalMs, 2 * MINUTE));

  /** e1 after a planner turned the interval twice (at minutes 2 and 3): the limit. */
  function thrashed() {
    const e = given(registered);
    expect(accepted(e.propose(planner('p1', FASTER), minute(1))).steering).toEqual({
      direction: 'faster',
      change: false,
    });
    expect(accepted(e.propose(planner('p2', SLOWER), minute(2))).steering).toEqual({
      direction: 'slower',
      change: true,
    });
    expect(accepted(e.propose(planner('p3', FASTER), minute(3))).steering).toEqual({
      direction: 'faster',
      change: true,
    });
    return e;
  }

  it('refuses the change after the limit and starts a cooldown', () => {
    const e = thrashed();
    expectRejected(e.propose(planner('p4', SLOWER), minute(4)), 'anti_thrash', {
      cooldownUntil: iso(minute(14)),
      detail: `2 direction changes in the last 30 min (limit 2); cooldown until ${iso(minute(14))}`,
    });
  });

  it('during the cooldown refuses every change, but takes a hint that keeps the direction', () => {
    const e = thrashed();
    e.propose(planner('p4', SLOWER), minute(4));
    const same = accepted(e.propose(planner('p5', 20 * SECOND), minute(5)));
    expect(same).toMatchObject({
      intervalMs: 20_000,
      steering: { direction: 'faster', change: false },
    });
    const refused = expectRejected(
      e.propose(planner('p6', SLOWER), minute(14) - 1),
      'anti_thrash',
      {
        detail: `direction changes are refused until ${iso(minute(14))} (cooldown)`,
      },
    );
    // A refusal within the cooldown does not extend it.
    expect(refused.cooldownUntil).toBeUndefined();
  });

  it('after the cooldown, still refuses while the window holds the limit; after both, takes it', () => {
    const e = thrashed();
    e.propose(planner('p4', SLOWER), minute(4));
    // The changes of minutes 2 and 3 are still within the last 30 min: a new cooldown.
    expectRejected(e.propose(planner('p5', SLOWER), minute(14)), 'anti_thrash', {
      cooldownUntil: iso(minute(24)),
    });
    expectRejected(e.propose(planner('p6', SLOWER), minute(24) - 1), 'anti_thrash');
    // At minute 33 the window (33 - 30, 33] holds neither change, and the cooldown is over.
    expect(accepted(e.propose(planner('p7', SLOWER), minute(33))).steering).toEqual({
      direction: 'slower',
      change: true,
    });
  });

  it('counts cascades as automated steering too', () => {
    const e = given(registered, edgeFrom('up'));
    const cascade = (id: string, intervalMs: number) =>
      proposal(id, 'cascade', interval(intervalMs, 2 * MINUTE));
    e.propose(cascade('c1', FASTER), minute(1));
    e.propose(cascade('c2', SLOWER), minute(2));
    e.propose(cascade('c3', FASTER), minute(3));
    expectRejected(e.propose(cascade('c4', SLOWER), minute(4)), 'anti_thrash');
  });

  it('exempts users: they turn as often as they like, even during a cooldown', () => {
    const e = thrashed();
    e.propose(planner('p4', SLOWER), minute(4));
    for (const [n, intervalMs] of [FASTER, SLOWER, FASTER, SLOWER, FASTER].entries()) {
      const hint = accepted(
        e.propose(proposal(`u${n}`, 'user', interval(intervalMs)), minute(5 + n)),
      );
      expect(hint.intervalMs).toBe(intervalMs);
      expect(hint.steering).toBeUndefined();
    }
  });
});

describe('budget', () => {
  // 20 s for 10 min is 30 runs where the baseline has 10: 20 extra runs.
  const fast = (id: string) => proposal(id, 'planner', interval(20 * SECOND, 10 * MINUTE));

  it('counts the runs a planner hint adds over the baseline, and a one-shot as one', () => {
    const e = given(registered);
    expect(accepted(e.propose(fast('p1'), minute(1))).extraRuns).toBe(20);
    expect(accepted(e.propose(proposal('p2', 'planner', oneShot()), minute(2))).extraRuns).toBe(1);
    const slower = accepted(e.propose(proposal('p3', 'planner', interval(2 * MINUTE)), minute(11)));
    expect(slower.extraRuns).toBe(0);
  });

  it('refuses what exceeds the endpoint budget in the window; takes a smaller ask', () => {
    const e = given(registered);
    e.propose(fast('p1'), minute(1));
    e.propose(proposal('p2', 'planner', oneShot()), minute(2));
    // p1 has lapsed; the window still holds its 20 runs and p2's one.
    expectRejected(e.propose(fast('p3'), minute(11)), 'budget', {
      detail: '20 extra runs asked, 9 of 30 left for e1 in 60 min',
    });
    const smaller = proposal('p4', 'planner', interval(40 * SECOND, 10 * MINUTE));
    expect(accepted(e.propose(smaller, minute(11))).extraRuns).toBe(5);
  });

  it('takes it again once the spent runs have left the window', () => {
    const e = given(registered);
    e.propose(fast('p1'), minute(1));
    e.propose(proposal('p2', 'planner', oneShot()), minute(2));
    expectRejected(e.propose(fast('p3'), minute(61) - 1), 'budget');
    expect(accepted(e.propose(fast('p4'), minute(61))).extraRuns).toBe(20);
  });

  it('counts the runs that re-proposing a fast interval before it lapses adds', () => {
    const e = given(registered);
    e.propose(fast('p1'), minute(0));
    // Without p2, minutes 5..15 would have 15 runs of p1's and 5 of the baseline's: p2 adds 10.
    expect(accepted(e.propose(fast('p2'), minute(5))).extraRuns).toBe(10);
    // Keeping e1 fast for good would exceed the budget: it is refused instead.
    expectRejected(e.propose(fast('p3'), minute(10)), 'budget', {
      detail: '10 extra runs asked, 0 of 30 left for e1 in 60 min',
    });
  });

  it('refuses what exceeds the job budget, given the job runs the caller counted', () => {
    const e = given(registered);
    const shot = (id: string) => proposal(id, 'planner', oneShot());
    expect(accepted(e.propose(shot('p1'), minute(1), { jobExtraRuns: 99 })).extraRuns).toBe(1);
    expectRejected(e.propose(shot('p2'), minute(1), { jobExtraRuns: 100 }), 'budget', {
      detail: '1 extra runs asked, 0 of 100 left for job j1 in 60 min',
    });
  });

  it('exempts users and cascades', () => {
    const e = given(registered, edgeFrom('up'));
    e.propose(fast('p1'), minute(0));
    e.propose(proposal('p2', 'planner', interval(30 * SECOND, 10 * MINUTE)), minute(10));
    expectRejected(e.propose(proposal('p3', 'planner', oneShot()), minute(10)), 'budget');
    for (const source of ['cascade', 'user'] as const) {
      const shot = accepted(e.propose(proposal(source, source, oneShot()), minute(11)));
      expect(shot.extraRuns).toBeUndefined();
    }
    const user = accepted(e.propose(proposal('u', 'user', interval(10 * SECOND)), minute(12)));
    expect(user.extraRuns).toBeUndefined();
  });
});

describe('limits larger than a few hundred', () => {
  // The state remembers past grants and turns: none may be forgotten while a limit counts it.
  const large = ArbiterPolicy.parse({
    antiThrash: { windowMs: HOUR, maxChanges: 300, cooldownMs: HOUR },
    budget: { windowMs: HOUR, perEndpoint: 300, perJob: 1_000_000 },
  });
  const unbudgeted = { ...large, budget: { ...large.budget, perEndpoint: 1_000_000 } };

  it('counts every planner run granted in the window against the endpoint budget', () => {
    const e = given(registered);
    for (let n = 1; n <= 300; n++) {
      const shot = accepted(
        e.propose(proposal(`p${n}`, 'planner', oneShot()), T0 + n, { policy: large }),
      );
      expect(shot.extraRuns).toBe(1);
    }
    expectRejected(
      e.propose(proposal('p301', 'planner', oneShot()), T0 + 301, { policy: large }),
      'budget',
    );
  });

  it('counts every direction change in the window', () => {
    const e = given(registered);
    const turn = (n: number) =>
      proposal(`p${n}`, 'planner', interval(n % 2 ? FASTER : SLOWER, MINUTE));
    // The first hint sets a direction; each of the next 300 turns it.
    for (let n = 1; n <= 301; n++) accepted(e.propose(turn(n), T0 + n, { policy: unbudgeted }));
    expectRejected(e.propose(turn(302), T0 + 302, { policy: unbudgeted }), 'anti_thrash');
  });
});
