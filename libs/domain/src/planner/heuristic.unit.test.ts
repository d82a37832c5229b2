import { describe, expect, it } from 'vitest';
import type { PlanResult, PlannerContext } from './context.js';
import {
  arbiterOf,
  context,
  endpoint,
  failure,
  hint,
  HOUR,
  intervalHint,
  iso,
  MINUTE,
  neighbour,
  refusal,
  refusing,
  SECOND,
  T0,
  type ContextSpec,
} from './context.test-support.js';
import { heuristicBackend, heuristicPlan, withoutRepeats } from './heuristic.js';

// Given the context of a session at T0 (the latest response's body, the endpoint's hints and
// health, its neighbours), when the heuristic plans, then these proposals — or none. The
// contract is docs/coordination-signals.md. Last, what the backend holds back: drafts the
// arbiter already refused for a reason that still stands.

const planOf = (spec: ContextSpec): PlanResult => heuristicPlan(context(spec));
/** What each proposal asks of whom (reasons are checked where the contract names them). */
const asks = (spec: ContextSpec) =>
  planOf(spec).proposals.map(({ targetEndpointId, action }) => ({ targetEndpointId, action }));
const self = (action: unknown) => ({ targetEndpointId: 'self', action });
const interval = (intervalMs: number, ttlMs = 10 * MINUTE) => ({
  kind: 'interval',
  intervalMs,
  ttlMs,
});
const oneShot = (ttlMs: number) => ({ kind: 'oneShot', ttlMs });
const at = (offsetMs: number) => iso(T0 + offsetMs);

const NO_PROPOSAL = /no coordination signal and no failure streak/;

describe('pause_until', () => {
  it('pauses the endpoint itself until the instant', () => {
    const plan = planOf({ body: { pause_until: at(30 * MINUTE) } });
    expect(plan.proposals).toEqual([
      {
        targetEndpointId: 'self',
        action: { kind: 'pause', until: T0 + 30 * MINUTE },
        reason: `pause_until ${at(30 * MINUTE)}`,
      },
    ]);
    expect(plan.reasoning).toContain(`self: pause_until ${at(30 * MINUTE)}`);
  });

  it('proposes nothing while the endpoint is paused (a pause makes the other self signals moot)', () => {
    const paused = { until: at(HOUR), reason: 'maintenance' };
    const body = {
      pause_until: at(30 * MINUTE),
      cooldown_until: at(5 * MINUTE),
      recommended_interval_ms: 5_000,
    };
    expect(asks({ body, self: { paused } })).toEqual([]);
    expect(asks({ body, self: { paused: { until: null, reason: 'until resumed' } } })).toEqual([]);
  });

  it('ignores an instant already past', () => {
    expect(asks({ body: { pause_until: at(-SECOND) } })).toEqual([]);
    expect(asks({ body: { pause_until: at(0) } })).toEqual([]);
    // A past pause does not take the self slot from the signals after it.
    expect(asks({ body: { pause_until: at(-MINUTE), recommended_interval_ms: 5_000 } })).toEqual([
      self(interval(5_000)),
    ]);
  });

  it('wins over cooldown_until and recommended_interval_ms', () => {
    const body = {
      pause_until: at(30 * MINUTE),
      cooldown_until: at(5 * MINUTE),
      recommended_interval_ms: 5_000,
      hint_ttl_ms: HOUR,
    };
    expect(asks({ body })).toEqual([self({ kind: 'pause', until: T0 + 30 * MINUTE })]);
  });
});

describe('cooldown_until', () => {
  it('puts the next run at the instant: interval until − now, held until the instant + 1 s', () => {
    const plan = planOf({ body: { error: 'rate limited', cooldown_until: at(5 * MINUTE) } });
    expect(plan.proposals).toEqual([
      {
        targetEndpointId: 'self',
        action: interval(5 * MINUTE, 5 * MINUTE + SECOND),
        reason: `cooldown_until ${at(5 * MINUTE)}`,
      },
    ]);
  });

  it('waits at least a second', () => {
    expect(asks({ body: { cooldown_until: at(200) } })).toEqual([
      self(interval(SECOND, 2 * SECOND)),
    ]);
  });

  it('ignores an instant already past', () => {
    expect(asks({ body: { cooldown_until: at(-SECOND) } })).toEqual([]);
  });

  it('wins over recommended_interval_ms', () => {
    const body = { cooldown_until: at(2 * MINUTE), recommended_interval_ms: 5_000 };
    expect(asks({ body })).toEqual([self(interval(2 * MINUTE, 2 * MINUTE + SECOND))]);
  });

  it('proposes nothing while a live interval at least that long holds the endpoint', () => {
    const body = { cooldown_until: at(5 * MINUTE) };
    const slow = (ms: number) => ({
      hints: { interval: intervalHint('planner', ms, 4 * MINUTE), oneShot: null },
    });
    expect(asks({ body, self: slow(5 * MINUTE) })).toEqual([]);
    expect(asks({ body, self: slow(10 * MINUTE) })).toEqual([]);
    expect(asks({ body, self: slow(MINUTE) })).toEqual([
      self(interval(5 * MINUTE, 5 * MINUTE + SECOND)),
    ]);
  });

  it('counts a live hint at the longest interval the endpoint allows as that long', () => {
    // Two hours, clamped by the arbiter to the endpoint's one-hour maximum when it was accepted.
    const body = { cooldown_until: at(2 * HOUR) };
    const hints = { interval: intervalHint('planner', HOUR, 90 * MINUTE), oneShot: null };
    expect(asks({ body, self: { hints } })).toEqual([]);
  });
});

describe('recommended_interval_ms', () => {
  it('proposes that interval for hint_ttl_ms', () => {
    const plan = planOf({
      body: { items: [], recommended_interval_ms: 300_000, hint_ttl_ms: HOUR },
    });
    expect(plan.proposals).toEqual([
      {
        targetEndpointId: 'self',
        action: interval(300_000, HOUR),
        reason: 'recommended_interval_ms 300000',
      },
    ]);
  });

  it('holds for 10 minutes without hint_ttl_ms (or with one of the wrong type)', () => {
    expect(asks({ body: { recommended_interval_ms: 5_000 } })).toEqual([self(interval(5_000))]);
    expect(asks({ body: { recommended_interval_ms: 5_000, hint_ttl_ms: '3600000' } })).toEqual([
      self(interval(5_000)),
    ]);
  });

  it('proposes nothing for a value of the wrong type', () => {
    for (const value of ['5000', 1.5, 0, -5_000, null]) {
      expect(planOf({ body: { recommended_interval_ms: value } }).proposals).toEqual([]);
    }
  });

  const live = (
    intervalMs: number,
    expiresInMs: number,
    source: 'planner' | 'user' = 'planner',
  ) => ({
    hints: { interval: intervalHint(source, intervalMs, expiresInMs), oneShot: null },
  });

  it('is not re-proposed while the same interval is live with more than half its TTL left', () => {
    const body = { recommended_interval_ms: 5_000 };
    expect(asks({ body, self: live(5_000, 6 * MINUTE) })).toEqual([]);
    expect(asks({ body: { ...body, hint_ttl_ms: HOUR }, self: live(5_000, 40 * MINUTE) })).toEqual(
      [],
    );
  });

  it('is re-proposed when the same interval has half its TTL or less left, or has lapsed', () => {
    const body = { recommended_interval_ms: 5_000 };
    expect(asks({ body, self: live(5_000, 4 * MINUTE) })).toEqual([self(interval(5_000))]);
    expect(asks({ body: { ...body, hint_ttl_ms: HOUR }, self: live(5_000, 20 * MINUTE) })).toEqual([
      self(interval(5_000, HOUR)),
    ]);
    expect(asks({ body, self: live(5_000, -SECOND) })).toEqual([self(interval(5_000))]);
  });

  it('is proposed when a different interval is live', () => {
    const body = { recommended_interval_ms: 5_000 };
    expect(asks({ body, self: live(10_000, 9 * MINUTE) })).toEqual([self(interval(5_000))]);
  });

  it('counts a live hint clamped to the endpoint’s bounds as the same interval', () => {
    // 5 s asked of an endpoint that runs at most every 10 s: the arbiter applied 10 s.
    const body = { recommended_interval_ms: 5_000 };
    const bounded = { minIntervalMs: 10 * SECOND, ...live(10_000, 9 * MINUTE) };
    expect(asks({ body, self: bounded })).toEqual([]);
  });
});

describe('request_immediate_check', () => {
  it('proposes one run of the endpoint itself, now, for 60 s', () => {
    const plan = planOf({ body: { request_immediate_check: true } });
    expect(plan.proposals).toEqual([
      { targetEndpointId: 'self', action: oneShot(MINUTE), reason: 'request_immediate_check' },
    ]);
  });

  it('proposes nothing while a one-shot is live, whoever set it', () => {
    const body = { request_immediate_check: true };
    for (const source of ['planner', 'user', 'cascade'] as const) {
      const hints = { interval: null, oneShot: hint(source, 30 * SECOND, { runAt: at(0) }) };
      expect(asks({ body, self: { hints } })).toEqual([]);
    }
    const lapsed = { interval: null, oneShot: hint('planner', -SECOND, { runAt: at(-MINUTE) }) };
    expect(asks({ body, self: { hints: lapsed } })).toEqual([self(oneShot(MINUTE))]);
  });

  it('combines with the self-directed signal that acts', () => {
    expect(
      asks({ body: { request_immediate_check: true, recommended_interval_ms: 5_000 } }),
    ).toEqual([self(interval(5_000)), self(oneShot(MINUTE))]);
    expect(asks({ body: { request_immediate_check: true, cooldown_until: at(MINUTE) } })).toEqual([
      self(interval(MINUTE, MINUTE + SECOND)),
      self(oneShot(MINUTE)),
    ]);
    expect(asks({ body: { request_immediate_check: true, pause_until: at(HOUR) } })).toEqual([
      self({ kind: 'pause', until: T0 + HOUR }),
      self(oneShot(MINUTE)),
    ]);
  });
});

describe('signals for the downstreams', () => {
  const neighbours = {
    upstreams: [neighbour('up')],
    siblings: [endpoint('sibling')],
    downstreams: [neighbour('d1'), neighbour('d2', { jobId: 'j3' })],
  };
  const targets = (spec: ContextSpec) => planOf(spec).proposals.map((p) => p.targetEndpointId);

  it('ready_for_next_stage runs every declared downstream once, now, for 5 min — nothing else', () => {
    const plan = planOf({ ...neighbours, body: { batch_id: 'b42', ready_for_next_stage: true } });
    expect(plan.proposals).toEqual([
      {
        targetEndpointId: 'd1',
        action: oneShot(5 * MINUTE),
        reason: 'ready_for_next_stage from self',
      },
      {
        targetEndpointId: 'd2',
        action: oneShot(5 * MINUTE),
        reason: 'ready_for_next_stage from self',
      },
    ]);
  });

  it('ready_for_next_stage skips a downstream whose one-shot is live', () => {
    const pending = { interval: null, oneShot: hint('cascade', 2 * MINUTE, { runAt: at(0) }) };
    const spec = {
      ...neighbours,
      downstreams: [neighbour('d1', { hints: pending }), neighbour('d2')],
      body: { ready_for_next_stage: true },
    };
    expect(targets(spec)).toEqual(['d2']);
  });

  it('ready_for_next_stage leaves a downstream of a trigger edge to its cascade (no second run)', () => {
    const spec = {
      ...neighbours,
      downstreams: [neighbour('d1', { mode: 'trigger' }), neighbour('d2')],
      body: { ready_for_next_stage: true },
    };
    expect(targets(spec)).toEqual(['d2']);
  });

  it('ready_for_next_stage proposes nothing without downstreams', () => {
    const spec = { upstreams: neighbours.upstreams, siblings: neighbours.siblings };
    expect(asks({ ...spec, body: { ready_for_next_stage: true } })).toEqual([]);
  });

  it('downstream_interval_ms sets every declared downstream’s interval for hint_ttl_ms (10 min by default)', () => {
    const plan = planOf({ ...neighbours, body: { downstream_interval_ms: 30_000 } });
    expect(plan.proposals).toEqual([
      {
        targetEndpointId: 'd1',
        action: interval(30_000),
        reason: 'downstream_interval_ms 30000 from self',
      },
      {
        targetEndpointId: 'd2',
        action: interval(30_000),
        reason: 'downstream_interval_ms 30000 from self',
      },
    ]);
    const held = asks({
      ...neighbours,
      body: { downstream_interval_ms: 30_000, hint_ttl_ms: HOUR },
    });
    expect(held.map((p) => p.action)).toEqual([interval(30_000, HOUR), interval(30_000, HOUR)]);
  });

  it('downstream_interval_ms skips a downstream already at that interval with more than half the TTL left', () => {
    const at30s = (expiresInMs: number) => ({
      hints: { interval: intervalHint('planner', 30_000, expiresInMs), oneShot: null },
    });
    const spec = (expiresInMs: number) => ({
      ...neighbours,
      downstreams: [neighbour('d1', at30s(expiresInMs)), neighbour('d2')],
      body: { downstream_interval_ms: 30_000 },
    });
    expect(targets(spec(8 * MINUTE))).toEqual(['d2']);
    expect(targets(spec(3 * MINUTE))).toEqual(['d1', 'd2']);
  });

  it('combine with the self-directed signals', () => {
    const body = {
      recommended_interval_ms: 5_000,
      request_immediate_check: true,
      ready_for_next_stage: true,
      downstream_interval_ms: 30_000,
    };
    expect(asks({ ...neighbours, downstreams: [neighbour('d1')], body })).toEqual([
      self(interval(5_000)),
      self(oneShot(MINUTE)),
      { targetEndpointId: 'd1', action: oneShot(5 * MINUTE) },
      { targetEndpointId: 'd1', action: interval(30_000) },
    ]);
  });
});

describe('error streak', () => {
  /** `failures` in a row while a hint holds the endpoint at `intervalMs`. */
  const failing = (failures: number, held = intervalHint('planner', 5_000, 8 * MINUTE)) => ({
    latest: failure(),
    self: { consecutiveFailures: failures, hints: { interval: held, oneShot: null } },
  });

  it('backs off from a live planner hint after 3 failures in a row, doubling per further failure', () => {
    const plan = planOf(failing(3));
    expect(plan.proposals).toEqual([
      {
        targetEndpointId: 'self',
        action: interval(10_000),
        reason: 'error streak: 3 failures in a row',
      },
    ]);
    expect(asks(failing(4))).toEqual([self(interval(20_000))]);
    expect(asks(failing(5))).toEqual([self(interval(40_000))]);
  });

  it('backs off at most 64×', () => {
    expect(asks(failing(8))).toEqual([self(interval(64 * 5_000))]);
    expect(asks(failing(12))).toEqual([self(interval(64 * 5_000))]);
  });

  it('keeps measuring from the hinted interval while its own backoff is live', () => {
    // 5 s backed off to 10 s after 3 failures; the 4th makes it 4 × 5 s, not 4 × 10 s.
    const backoff = (failures: number, intervalMs: number) =>
      intervalHint(
        'planner',
        intervalMs,
        9 * MINUTE,
        `error streak: ${failures} failures in a row`,
      );
    expect(asks(failing(4, backoff(3, 10_000)))).toEqual([self(interval(20_000))]);
    expect(asks(failing(6, backoff(4, 20_000)))).toEqual([self(interval(80_000))]);
    // Analysed again at the same streak, or at the cap: the live backoff is what it would propose.
    expect(asks(failing(4, backoff(4, 20_000)))).toEqual([]);
    expect(asks(failing(9, backoff(8, 64 * 5_000)))).toEqual([]);
  });

  it('stops backing off once the endpoint’s longest interval is live', () => {
    // 5 s × 8 after 4 failures, clamped to the endpoint's one-minute maximum.
    const atMax = intervalHint('planner', MINUTE, 9 * MINUTE, 'error streak: 4 failures in a row');
    const spec = failing(5, atMax);
    expect(asks({ ...spec, self: { ...spec.self, maxIntervalMs: MINUTE } })).toEqual([]);
  });

  it('proposes nothing under 3 failures', () => {
    expect(asks(failing(2))).toEqual([]);
  });

  it('proposes nothing unless a live planner hint holds the interval (the governor backs off)', () => {
    expect(planOf({ latest: failure(), self: { consecutiveFailures: 5 } }).proposals).toEqual([]);
    expect(asks(failing(5, intervalHint('planner', 5_000, -SECOND)))).toEqual([]);
    expect(asks(failing(5, intervalHint('user', 5_000, 8 * MINUTE)))).toEqual([]);
    expect(asks(failing(5, intervalHint('cascade', 5_000, 8 * MINUTE)))).toEqual([]);
  });

  it('gives way to a self-directed signal in the failing response', () => {
    const spec = failing(5);
    const latest = { ...spec.latest, body: { cooldown_until: at(2 * MINUTE) } };
    expect(asks({ ...spec, latest })).toEqual([self(interval(2 * MINUTE, 2 * MINUTE + SECOND))]);
  });
});

describe('upstream failing', () => {
  const failingUp = (failures = 3) =>
    neighbour('up', { consecutiveFailures: failures, latest: failure() });

  it('runs an interval baseline 4× slower for 10 min while an upstream failed 3 times in a row', () => {
    const plan = planOf({ body: { items: [] }, upstreams: [neighbour('up0'), failingUp(3)] });
    expect(plan.proposals).toEqual([
      {
        targetEndpointId: 'self',
        action: interval(4 * MINUTE),
        reason: 'upstream failing: up failed 3 times in a row',
      },
    ]);
  });

  it('proposes nothing for an upstream with fewer failures, or for a failing sibling or downstream', () => {
    const failingOther = (id: string) => neighbour(id, { consecutiveFailures: 7 });
    expect(asks({ body: {}, upstreams: [failingUp(2)] })).toEqual([]);
    expect(asks({ body: {}, siblings: [endpoint('sibling', { consecutiveFailures: 7 })] })).toEqual(
      [],
    );
    expect(asks({ body: {}, downstreams: [failingOther('down')] })).toEqual([]);
  });

  it('proposes nothing while this endpoint fails too', () => {
    expect(
      asks({ latest: failure(), self: { consecutiveFailures: 1 }, upstreams: [failingUp()] }),
    ).toEqual([]);
  });

  it('is not re-proposed while an interval at least that slow is live', () => {
    const held = (intervalMs: number, source: 'planner' | 'user' = 'planner') => ({
      hints: {
        interval: intervalHint(source, intervalMs, 5 * MINUTE, 'upstream failing: up'),
        oneShot: null,
      },
    });
    const spec = { body: {}, upstreams: [failingUp()] };
    expect(asks({ ...spec, self: held(4 * MINUTE) })).toEqual([]);
    expect(asks({ ...spec, self: held(10 * MINUTE, 'user') })).toEqual([]);
    expect(asks({ ...spec, self: held(30 * SECOND) })).toEqual([self(interval(4 * MINUTE))]);
    // Four minutes clamped to the endpoint's two-minute maximum is as slow as it gets.
    expect(asks({ ...spec, self: { maxIntervalMs: 2 * MINUTE, ...held(2 * MINUTE) } })).toEqual([]);
  });

  it('proposes nothing for a cron or trigger-only baseline', () => {
    const cron = { kind: 'cron', expression: '*/5 * * * *' } as const;
    for (const baseline of [cron, { kind: 'none' } as const]) {
      expect(asks({ body: {}, self: { baseline }, upstreams: [failingUp()] })).toEqual([]);
    }
  });
});

describe('recovery', () => {
  const backoff = (
    reason: string,
    source: 'planner' | 'user' = 'planner',
    expiresInMs = 5 * MINUTE,
  ) => ({
    hints: { interval: intervalHint(source, 4 * MINUTE, expiresInMs, reason), oneShot: null },
  });
  const clear = self({ kind: 'clear', slots: ['interval'] });

  it('clears the planner’s own backoff once the endpoint succeeds and nothing upstream fails', () => {
    const plan = planOf({ body: {}, self: backoff('error streak: 4 failures in a row') });
    expect(plan.proposals).toEqual([{ ...clear, reason: 'recovered: back to the baseline' }]);
    expect(
      asks({
        body: {},
        self: backoff('upstream failing: up failed 3 times in a row'),
        upstreams: [neighbour('up')],
      }),
    ).toEqual([clear]);
  });

  it('keeps the backoff while an upstream still fails', () => {
    const up = neighbour('up', { consecutiveFailures: 3 });
    const reason = 'upstream failing: up failed 3 times in a row';
    expect(asks({ body: {}, self: backoff(reason), upstreams: [up] })).toEqual([]);
    const cron = { kind: 'cron', expression: '0 * * * *' } as const;
    expect(
      asks({ body: {}, self: { baseline: cron, ...backoff(reason) }, upstreams: [up] }),
    ).toEqual([]);
  });

  it('clears nothing but a live planner hint from the two backoff rules', () => {
    expect(asks({ body: {}, self: backoff('recommended_interval_ms 240000') })).toEqual([]);
    expect(asks({ body: {}, self: backoff('after an error streak: 3 failures') })).toEqual([]);
    expect(asks({ body: {}, self: backoff('error streak: 3 failures in a row', 'user') })).toEqual(
      [],
    );
    expect(
      asks({ body: {}, self: backoff('error streak: 3 failures in a row', 'planner', -SECOND) }),
    ).toEqual([]);
  });

  it('waits for a successful response', () => {
    const failed = { consecutiveFailures: 1, ...backoff('error streak: 3 failures in a row') };
    expect(asks({ latest: failure(), self: failed })).toEqual([]);
    // No response on record yet: nothing says it recovered.
    expect(asks({ self: backoff('error streak: 3 failures in a row') })).toEqual([]);
  });
});

describe('a healthy endpoint without signals', () => {
  it('proposes nothing, and says so', () => {
    for (const spec of [{ body: { items: [1, 2, 3] } }, {}, { body: 'plain text' }]) {
      const plan = planOf({
        ...spec,
        upstreams: [neighbour('up')],
        downstreams: [neighbour('d1')],
      });
      expect(plan.proposals).toEqual([]);
      expect(plan.reasoning).toMatch(NO_PROPOSAL);
      expect(plan.outcome).toBe('completed');
    }
  });
});

describe('the plan', () => {
  const busy: ContextSpec = {
    body: { cooldown_until: at(MINUTE), request_immediate_check: true, ready_for_next_stage: true },
    downstreams: [neighbour('d1'), neighbour('d2')],
  };

  it('names each proposal’s target and reason in its reasoning, and costs no model call', () => {
    const plan = planOf(busy);
    expect(plan.proposals).toHaveLength(4);
    for (const p of plan.proposals)
      expect(plan.reasoning).toContain(`${p.targetEndpointId}: ${p.reason}`);
    expect(plan.reasoning).not.toMatch(NO_PROPOSAL);
    expect(plan.toolCalls).toEqual([]);
    expect(plan.usage.modelCalls).toBe(0);
  });

  it('is the same for the same context, and leaves the context as it was', () => {
    const ctx: PlannerContext = context(busy);
    const copy = structuredClone(ctx);
    const first = heuristicPlan(ctx);
    expect(heuristicPlan(ctx)).toEqual(first);
    expect(heuristicPlan(copy)).toEqual(first);
    expect(ctx).toEqual(copy);
  });
});

describe('withoutRepeats', () => {
  // The endpoint is paused by its owner and its response asks for 5 s: the arbiter refuses
  // that (pause_wins) for as long as the pause lasts.
  const pausedSpec = (refusals: ContextSpec['refusals'] = []): ContextSpec => ({
    body: { recommended_interval_ms: 5_000 },
    self: { paused: { until: null, reason: 'maintenance' } },
    refusals,
  });
  const repeat = (spec: ContextSpec, check = arbiterOf(context(spec))) => {
    const ctx = context(spec);
    return withoutRepeats(heuristicPlan(ctx), ctx, { check });
  };

  it('holds back a draft refused again for the rule that refused it within 10 minutes', () => {
    const plan = repeat(pausedSpec([refusal('self', 'pause_wins', 9 * MINUTE + 59 * SECOND)]));
    expect(plan.proposals).toEqual([]);
    expect(plan.reasoning).toContain('self: recommended_interval_ms 5000');
    expect(plan.reasoning).toContain('self: held back, refused again (pause_wins)');
  });

  it('lets it through when the refusal is older than 10 minutes', () => {
    const plan = repeat(pausedSpec([refusal('self', 'pause_wins', 10 * MINUTE + SECOND)]));
    expect(plan.proposals.map((p) => p.action)).toEqual([interval(5_000)]);
    expect(plan.reasoning).not.toContain('held back');
  });

  it('lets it through when the recent refusal was for another rule or another target', () => {
    const refusals = [
      refusal('self', 'precedence', MINUTE),
      refusal('self', 'budget', MINUTE),
      refusal('d1', 'pause_wins', MINUTE),
    ];
    expect(repeat(pausedSpec(refusals)).proposals.map((p) => p.action)).toEqual([interval(5_000)]);
  });

  it('lets through every draft the arbiter would accept, whatever was refused before', () => {
    const spec: ContextSpec = {
      body: { recommended_interval_ms: 5_000, ready_for_next_stage: true },
      downstreams: [neighbour('d1')],
      refusals: [refusal('self', 'pause_wins', MINUTE), refusal('d1', 'budget', MINUTE)],
    };
    const ctx = context(spec);
    expect(repeat(spec)).toEqual(heuristicPlan(ctx));
    expect(repeat(spec, () => ({ outcome: 'accept' }))).toEqual(heuristicPlan(ctx));
  });

  it.each(['pause_wins', 'precedence', 'anti_thrash', 'budget', 'noop'])(
    'holds back a repeat of a lasting refusal: %s',
    (rule) => {
      const spec: ContextSpec = {
        body: { recommended_interval_ms: 5_000, request_immediate_check: true },
        refusals: [refusal('self', rule, 3 * MINUTE)],
      };
      const plan = repeat(spec, (draft) =>
        draft.action.kind === 'interval' ? refusing(rule)(draft) : { outcome: 'accept' },
      );
      expect(plan.proposals.map((p) => p.action)).toEqual([oneShot(MINUTE)]);
      expect(plan.reasoning).toContain(`self: held back, refused again (${rule})`);
    },
  );

  it('never holds back a draft refused as stale (a newer response may change it)', () => {
    const spec: ContextSpec = {
      body: { recommended_interval_ms: 5_000 },
      refusals: [refusal('self', 'stale', MINUTE)],
    };
    const plan = repeat(spec, refusing('stale'));
    expect(plan.proposals.map((p) => p.action)).toEqual([interval(5_000)]);
    expect(plan.reasoning).not.toContain('held back');
  });

  it('holds back only the targets refused again', () => {
    // d1 is paused and was refused for it; d2 is free; the user's hint on self outranks the planner.
    const userHint = { interval: intervalHint('user', 20_000, HOUR), oneShot: null };
    const spec: ContextSpec = {
      body: { recommended_interval_ms: 5_000, ready_for_next_stage: true },
      self: { hints: userHint },
      downstreams: [
        neighbour('d1', { paused: { until: at(HOUR), reason: 'owner' } }),
        neighbour('d2'),
      ],
      refusals: [
        refusal('d1', 'pause_wins', 2 * MINUTE),
        refusal('self', 'precedence', 4 * MINUTE),
      ],
    };
    const plan = repeat(spec);
    expect(plan.proposals.map((p) => p.targetEndpointId)).toEqual(['d2']);
    expect(plan.reasoning).toContain('self: held back, refused again (precedence)');
    expect(plan.reasoning).toContain('d1: held back, refused again (pause_wins)');
    expect(plan.reasoning).not.toContain('d2: held back');
  });
});

describe('heuristicBackend', () => {
  const tools = (ctx: PlannerContext) => ({
    responseHistory: () => Promise.resolve([]),
    check: arbiterOf(ctx),
  });

  it('plans with the heuristic, less what would only be refused again', async () => {
    const ctx = context({
      body: { recommended_interval_ms: 5_000, ready_for_next_stage: true },
      self: { paused: { until: at(HOUR), reason: 'owner' } },
      downstreams: [neighbour('d1')],
      refusals: [refusal('self', 'pause_wins', 5 * MINUTE)],
    });
    const plan = await heuristicBackend.plan({ context: ctx, tools: tools(ctx) });
    expect(heuristicBackend.name).toBe('heuristic');
    expect(plan.proposals).toEqual([
      {
        targetEndpointId: 'd1',
        action: oneShot(5 * MINUTE),
        reason: 'ready_for_next_stage from self',
      },
    ]);
    expect(plan.reasoning).toContain('self: held back, refused again (pause_wins)');
  });

  it('is the heuristic’s plan when nothing was refused', async () => {
    const ctx = context({ body: { request_immediate_check: true } });
    expect(await heuristicBackend.plan({ context: ctx, tools: tools(ctx) })).toEqual(
      heuristicPlan(ctx),
    );
  });
});
