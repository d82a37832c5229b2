import { fromIso, toIso, type Millis } from '../time.js';
import {
  NO_TOKENS,
  type EndpointView,
  type LiveHintView,
  type PlanResult,
  type PlannerBackend,
  type PlannerContext,
  type PlannerTools,
  type ProposalDraft,
} from './context.js';
import { readSignals } from './signals.js';

const MINUTE = 60_000;
/** Failures in a row that count as a streak (own or an upstream's). */
export const ERROR_STREAK = 3;
/** How long interval signals hold when the body names no `hint_ttl_ms`. */
export const DEFAULT_SIGNAL_TTL_MS = 10 * MINUTE;
const CHECK_TTL_MS = MINUTE;
const NEXT_STAGE_TTL_MS = 5 * MINUTE;
/** A downstream of a failing upstream runs this many times slower. */
const UPSTREAM_SLOWDOWN = 4;
/** Reasons the heuristic recognises as its own backing off (recovery clears them). */
const BACKOFF_REASONS = ['error streak:', 'upstream failing:'];

/**
 * The deterministic planner: rules over the coordination signals of the latest response
 * (docs/coordination-signals.md) and over failure streaks, its own and its upstreams'. The
 * same context always gives the same proposals; it never proposes what is already live.
 */
export function heuristicPlan(context: PlannerContext): PlanResult {
  const now = fromIso(context.now);
  const self = context.endpoint;
  const signals = readSignals(self.latest?.body);
  const proposals: ProposalDraft[] = [];
  const why: string[] = [];
  const propose = (draft: ProposalDraft) => {
    proposals.push(draft);
    why.push(`${draft.targetEndpointId}: ${draft.reason}`);
  };
  const id = self.endpointId;
  const ttl = signals.hintTtlMs ?? DEFAULT_SIGNAL_TTL_MS;

  if (signals.pauseUntil !== null && signals.pauseUntil > now) {
    if (self.paused === null) {
      propose({
        targetEndpointId: id,
        action: { kind: 'pause', until: signals.pauseUntil },
        reason: `pause_until ${toIso(signals.pauseUntil)}`,
      });
    }
  } else if (signals.cooldownUntil !== null && signals.cooldownUntil > now) {
    const intervalMs = Math.max(1_000, signals.cooldownUntil - now);
    if (!hasInterval(self, intervalMs, now, { slower: true })) {
      propose({
        targetEndpointId: id,
        action: { kind: 'interval', intervalMs, ttlMs: intervalMs + 1_000 },
        reason: `cooldown_until ${toIso(signals.cooldownUntil)}`,
      });
    }
  } else if (signals.recommendedIntervalMs !== null) {
    if (!hasInterval(self, signals.recommendedIntervalMs, now, { ttlMs: ttl })) {
      propose({
        targetEndpointId: id,
        action: { kind: 'interval', intervalMs: signals.recommendedIntervalMs, ttlMs: ttl },
        reason: `recommended_interval_ms ${signals.recommendedIntervalMs}`,
      });
    }
  } else {
    const health = healthRule(context, now);
    if (health) propose(health);
  }
  if (signals.requestImmediateCheck && !liveHint(self.hints.oneShot, now)) {
    propose({
      targetEndpointId: id,
      action: { kind: 'oneShot', ttlMs: CHECK_TTL_MS },
      reason: 'request_immediate_check',
    });
  }
  for (const down of context.downstreams) {
    // A trigger edge runs its downstream from the response already (a cascade): no second run.
    const nudge = signals.readyForNextStage && down.mode !== 'trigger';
    if (nudge && !liveHint(down.hints.oneShot, now)) {
      propose({
        targetEndpointId: down.endpointId,
        action: { kind: 'oneShot', ttlMs: NEXT_STAGE_TTL_MS },
        reason: `ready_for_next_stage from ${id}`,
      });
    }
    const every = signals.downstreamIntervalMs;
    if (every !== null && !hasInterval(down, every, now, { ttlMs: ttl })) {
      propose({
        targetEndpointId: down.endpointId,
        action: { kind: 'interval', intervalMs: every, ttlMs: ttl },
        reason: `downstream_interval_ms ${every} from ${id}`,
      });
    }
  }
  return {
    outcome: 'completed',
    reasoning: why.length > 0 ? why.join('\n') : 'no coordination signal and no failure streak',
    proposals,
    toolCalls: [],
    usage: NO_TOKENS,
  };
}

/** The reason of the error-streak backoff, with the failures it was proposed at. */
const BACKOFF_STREAK = /^error streak: (\d+) failures in a row/;
/** `hinted × 2^(failures − 2)`, at most 64×. */
const backoffFactor = (failures: number) => 2 ** Math.min(failures - ERROR_STREAK + 1, 6);

/** Failure streaks: back off an interval a planner hint holds fast; follow a failing upstream; recover. */
function healthRule(context: PlannerContext, now: Millis): ProposalDraft | null {
  const self = context.endpoint;
  const live = liveHint(self.hints.interval, now);
  const streak = self.consecutiveFailures;
  if (streak >= ERROR_STREAK && live?.source === 'planner' && live.intervalMs !== undefined) {
    // A live interval hint replaces the baseline and its failure backoff: back off from it.
    // While that backoff is the live hint, measure from the interval it backed off from, so
    // that each failure doubles once (not compounds) and the cap stays 64× the hinted one.
    const backedOff = BACKOFF_STREAK.exec(live.reason);
    const hinted = backedOff
      ? live.intervalMs / backoffFactor(Number(backedOff[1]))
      : live.intervalMs;
    const intervalMs = Math.round(hinted * backoffFactor(streak));
    if (bounded(self, intervalMs) <= live.intervalMs) return null;
    return {
      targetEndpointId: self.endpointId,
      action: { kind: 'interval', intervalMs, ttlMs: DEFAULT_SIGNAL_TTL_MS },
      reason: `error streak: ${streak} failures in a row`,
    };
  }
  const failing = context.upstreams.find((u) => u.consecutiveFailures >= ERROR_STREAK);
  const every = self.baseline.kind === 'interval' ? self.baseline.everyMs : null;
  if (failing && every !== null && streak === 0) {
    const intervalMs = every * UPSTREAM_SLOWDOWN;
    if (hasInterval(self, intervalMs, now, { slower: true })) return null;
    return {
      targetEndpointId: self.endpointId,
      action: { kind: 'interval', intervalMs, ttlMs: DEFAULT_SIGNAL_TTL_MS },
      reason: `upstream failing: ${failing.endpointId} failed ${failing.consecutiveFailures} times in a row`,
    };
  }
  const recovered = self.latest?.ok === true && streak === 0 && !failing;
  if (
    recovered &&
    live?.source === 'planner' &&
    BACKOFF_REASONS.some((r) => live.reason.startsWith(r))
  ) {
    return {
      targetEndpointId: self.endpointId,
      action: { kind: 'clear', slots: ['interval'] },
      reason: 'recovered: back to the baseline',
    };
  }
  return null;
}

const liveHint = (hint: LiveHintView | null, now: Millis): LiveHintView | null =>
  hint !== null && fromIso(hint.expiresAt) > now ? hint : null;

/** An interval as the arbiter applies it: clamped to the endpoint's bounds. */
const bounded = (endpoint: EndpointView, intervalMs: number): number =>
  Math.min(
    Math.max(intervalMs, endpoint.minIntervalMs, 1),
    endpoint.maxIntervalMs ?? Number.POSITIVE_INFINITY,
  );

/**
 * Whether the endpoint already runs at this interval (within its bounds) under a live hint with
 * more than half of `ttlMs` left (a repeated signal refreshes a hint about to lapse) — or, with
 * `slower`, at any interval at least as long.
 */
function hasInterval(
  endpoint: EndpointView,
  intervalMs: number,
  now: Millis,
  { slower = false, ttlMs = 0 }: { slower?: boolean; ttlMs?: number } = {},
): boolean {
  const live = liveHint(endpoint.hints.interval, now);
  if (!live || live.intervalMs === undefined) return false;
  // The live hint holds the interval as the arbiter applied it.
  const applied = bounded(endpoint, intervalMs);
  if (slower) return live.intervalMs >= applied;
  return live.intervalMs === applied && fromIso(live.expiresAt) - now > ttlMs / 2;
}

/** How long a refusal holds back the same proposal for the same target and rule. */
export const REPEAT_WINDOW_MS = 10 * MINUTE;
/** Rules whose refusal would stand again at once (the state that refused is still there). */
const LASTING_RULES = new Set(['pause_wins', 'precedence', 'anti_thrash', 'budget', 'noop']);

/**
 * Drops the drafts the arbiter would refuse again for a reason it already recorded: a target's
 * refusal (same rule, from this endpoint's proposals, within {@link REPEAT_WINDOW_MS}) stays on
 * record once, instead of once per response while the pause, the user's hint or the cooldown
 * lasts. What is held back is said in the reasoning.
 */
export function withoutRepeats(
  plan: PlanResult,
  context: PlannerContext,
  tools: Pick<PlannerTools, 'check'>,
): PlanResult {
  const now = fromIso(context.now);
  const recent = context.refusals.filter((r) => fromIso(r.at) > now - REPEAT_WINDOW_MS);
  const held: string[] = [];
  const proposals = plan.proposals.filter((draft) => {
    const verdict = tools.check(draft);
    if (verdict.outcome === 'accept' || !verdict.rule || !LASTING_RULES.has(verdict.rule))
      return true;
    const again = recent.some(
      (r) => r.targetEndpointId === draft.targetEndpointId && r.rule === verdict.rule,
    );
    if (again) held.push(`${draft.targetEndpointId}: held back, refused again (${verdict.rule})`);
    return !again;
  });
  if (held.length === 0) return plan;
  return { ...plan, proposals, reasoning: [plan.reasoning, ...held].join('\n') };
}

/** The heuristic as a planner backend: its rules, less what would only be refused again. */
export const heuristicBackend: PlannerBackend = {
  name: 'heuristic',
  plan: ({ context, tools }) =>
    Promise.resolve(withoutRepeats(heuristicPlan(context), context, tools)),
};
