import type { HintSlot, HintSource } from '../events/catalogue.js';
import type { EndpointState } from '../endpoint/state.js';
import { MAX_CASCADE_DEPTH } from '../graph/inputs.js';
import { toIso, type Millis } from '../time.js';
import type { Holds } from '../governor/holds.js';
import type { ArbiterPolicy } from './policy.js';
import type { Proposal, ProposalAction } from './proposal.js';

/** The rules a proposal can be refused by (bounds only ever clamp). */
export const ARBITER_RULES = [
  'ownership',
  'cascade_safety',
  'stale',
  'pause_wins',
  'precedence',
  'anti_thrash',
  'budget',
  'noop',
  /** A malformed automated proposal (a user's is a validation error instead). */
  'invalid',
] as const;
export type ArbiterRule = (typeof ARBITER_RULES)[number];

/** The decision a refused proposal met: the live hint or pause that won. */
export interface Winner {
  readonly kind: 'hint' | 'pause';
  readonly hintId?: string;
  readonly source?: HintSource | 'user';
  readonly until?: string | null;
}

export interface Clamp {
  readonly requested: number;
  readonly applied: number;
  readonly bound: 'min' | 'max';
}

export type Verdict =
  | {
      readonly outcome: 'accept';
      /** The action as it will apply (an interval or pause clamped to its bounds). */
      readonly action: ProposalAction;
      readonly clamped?: Clamp;
      /** Automated interval hints: which way they move the interval, and whether that turns. */
      readonly steering?: { readonly direction: 'faster' | 'slower'; readonly change: boolean };
      /** Planner proposals: the extra runs they induce (budget). */
      readonly extraRuns?: number;
    }
  | {
      readonly outcome: 'reject';
      readonly rule: ArbiterRule;
      readonly detail: string;
      readonly winner?: Winner;
      /** anti_thrash: the cooldown this refusal starts. */
      readonly cooldownUntil?: Millis;
    };

/** What the arbiter needs besides the target's own state. */
export interface ArbiterContext {
  readonly now: Millis;
  readonly policy: ArbiterPolicy;
  /** Planner-induced extra runs of the target's job within the budget window, before this one. */
  readonly jobExtraRuns?: number;
  /** The target's job as the proposer read it: a paused or archived job holds planners off too. */
  readonly holds?: Holds;
}

/**
 * Precedence: a source may replace a live hint of its own rank or below. An agent acts for a
 * person (a tenant's key) but is automated: it yields to people and to the dependencies they
 * declared, and outranks the planner.
 */
const rank: Record<HintSource, number> = { planner: 0, agent: 1, cascade: 2, user: 3 };

/**
 * Decides one proposal against its target's state: accept (possibly clamped) or reject with
 * the rule and a detail a person can act on. Pure: time, policy and the job's budget use are
 * inputs, so a recorded decision replays to the same verdict.
 *
 * Rules, in order: ownership, cascade safety, staleness, pause wins, precedence (user > cascade
 * > agent > planner), bounds (a clamp, recorded), anti-thrash, budget. See docs/adaptation.md.
 *
 * @example
 * const verdict = arbitrate(proposal, state, { now, policy: defaultArbiterPolicy });
 * if (verdict.outcome === 'reject') console.log(verdict.rule, verdict.detail);
 */
export function arbitrate(proposal: Proposal, state: EndpointState, ctx: ArbiterContext): Verdict {
  return (
    ownership(proposal, state) ??
    cascadeSafety(proposal, state) ??
    staleness(proposal, state) ??
    pauseWins(proposal, state, ctx.now) ??
    jobHolds(proposal, ctx) ??
    precedence(proposal, state, ctx.now) ??
    steer(proposal, state, ctx)
  );
}

type Refusal = Extract<Verdict, { outcome: 'reject' }>;
const refuse = (rule: ArbiterRule, detail: string, extra: Partial<Refusal> = {}): Refusal => ({
  outcome: 'reject',
  rule,
  detail,
  ...extra,
});

function ownership(p: Proposal, state: EndpointState): Refusal | null {
  const target = state.endpointId;
  const edges = Object.values(state.cascade.edges);
  // People and their agents act with a tenant's key: any endpoint of the tenant is theirs.
  if (p.source === 'user' || p.source === 'agent') return null;
  if (p.source === 'cascade') {
    return state.cascade.edges[p.sourceId]
      ? null
      : refuse('ownership', `edge ${p.sourceId} does not lead to ${target}`);
  }
  const from = p.fromEndpointId;
  if (from === undefined) {
    return refuse('ownership', 'a planner proposal must name the endpoint it analysed');
  }
  if (from === target || edges.some((e) => e.edge.upstreamEndpointId === from)) return null;
  return refuse(
    'ownership',
    `${from} may steer itself or a downstream of a declared edge from it; ${target} is neither`,
  );
}

function cascadeSafety(p: Proposal, state: EndpointState): Refusal | null {
  const chain = p.cascade;
  if (!chain) return null;
  if (chain.chain.includes(state.endpointId)) {
    return refuse(
      'cascade_safety',
      `${state.endpointId} is already in this causation chain (${chain.chain.join(' → ')})`,
    );
  }
  if (chain.depth + 1 > MAX_CASCADE_DEPTH) {
    return refuse(
      'cascade_safety',
      `the chain would be ${chain.depth + 1} deep (limit ${MAX_CASCADE_DEPTH})`,
    );
  }
  return null;
}

function staleness(p: Proposal, state: EndpointState): Refusal | null {
  const based = p.basedOnPosition;
  if (based === undefined) return null;
  const { lastResponsePosition, pausePosition } = state.steering;
  if (based < lastResponsePosition) {
    return refuse(
      'stale',
      `based on position ${based}; ${state.endpointId} has a newer response (position ${lastResponsePosition})`,
    );
  }
  if (based < pausePosition) {
    return refuse(
      'stale',
      `based on position ${based}; ${state.endpointId} was paused or resumed since (position ${pausePosition})`,
    );
  }
  return null;
}

const paused = (state: EndpointState, now: Millis) =>
  state.pause !== null && (state.pause.until === null || state.pause.until > now);

/** Automated sources that a pause holds off (a user's and a cascade's proposals are not). */
const heldByPause = (source: HintSource) => source === 'planner' || source === 'agent';

function pauseWins(p: Proposal, state: EndpointState, now: Millis): Refusal | null {
  if (!heldByPause(p.source) || !paused(state, now) || !state.pause) return null;
  const until = state.pause.until === null ? null : toIso(state.pause.until);
  return refuse(
    'pause_wins',
    `${state.endpointId} is paused ${until === null ? 'until resumed' : `until ${until}`}: pause wins over ${p.source} proposals`,
    { winner: { kind: 'pause', until } },
  );
}

function jobHolds(p: Proposal, { holds, now }: ArbiterContext): Refusal | null {
  const job = holds?.job;
  if (!heldByPause(p.source) || !job) return null;
  if (job.archived) return refuse('pause_wins', `job ${job.jobId} is archived`);
  const pause = job.pause;
  if (!pause || (pause.until !== null && pause.until <= now)) return null;
  const until = pause.until === null ? null : toIso(pause.until);
  return refuse(
    'pause_wins',
    `job ${job.jobId} is paused ${until === null ? 'until resumed' : `until ${until}`}: pause wins over ${p.source} proposals`,
    { winner: { kind: 'pause', until } },
  );
}

function precedence(p: Proposal, state: EndpointState, now: Millis): Refusal | null {
  const slots: readonly HintSlot[] =
    p.action.kind === 'interval'
      ? ['interval']
      : p.action.kind === 'oneShot'
        ? ['oneShot']
        : p.action.kind === 'clear'
          ? p.action.slots
          : [];
  for (const slot of slots) {
    const live = state.hints[slot];
    if (live && live.expiresAt > now && rank[live.source] > rank[p.source]) {
      return refuse(
        'precedence',
        `a live ${live.source} hint (${live.hintId}) outranks ${p.source === 'agent' ? 'an' : 'a'} ${p.source} proposal`,
        {
          winner: { kind: 'hint', hintId: live.hintId, source: live.source },
        },
      );
    }
  }
  return null;
}

/** Bounds, anti-thrash and budget: what the action becomes, or why it may not. */
function steer(p: Proposal, state: EndpointState, ctx: ArbiterContext): Verdict {
  const { action } = p;
  const { now, policy } = ctx;
  switch (action.kind) {
    case 'clear': {
      // Each slot once: a hint cleared twice in one event would have two outcomes.
      const slots = [...new Set(action.slots)].filter((slot) => state.hints[slot] !== null);
      if (slots.length === 0) return refuse('noop', 'no hint to clear');
      return { outcome: 'accept', action: { kind: 'clear', slots } };
    }
    case 'pause': {
      if (paused(state, now)) return refuse('noop', `${state.endpointId} is already paused`);
      const latest = now + policy.maxPlannerPauseMs;
      if (p.source === 'planner' && action.until > latest) {
        return {
          outcome: 'accept',
          action: { kind: 'pause', until: latest },
          clamped: { requested: action.until, applied: latest, bound: 'max' },
        };
      }
      return { outcome: 'accept', action };
    }
    case 'oneShot':
      return withinBudget(p, state, ctx, 1) ?? { outcome: 'accept', action, ...extra(p, 1) };
    case 'interval': {
      const config = state.config;
      const min = Math.max(config?.minIntervalMs ?? 0, 1);
      const max = config?.maxIntervalMs ?? Number.POSITIVE_INFINITY;
      const applied = Math.min(Math.max(action.intervalMs, min), max);
      const clamped: Clamp | undefined =
        applied === action.intervalMs
          ? undefined
          : {
              requested: action.intervalMs,
              applied,
              bound: applied > action.intervalMs ? 'min' : 'max',
            };
      const turn = p.source === 'user' ? null : direction(state, applied);
      if (turn?.change) {
        const thrash = antiThrash(state, ctx);
        if (thrash) return thrash;
      }
      const runs = extraRunsOf(state, applied, action.ttlMs, now);
      const overBudget = withinBudget(p, state, ctx, runs);
      if (overBudget) return overBudget;
      return {
        outcome: 'accept',
        action: { ...action, intervalMs: applied },
        ...(clamped ? { clamped } : {}),
        ...(turn ? { steering: turn } : {}),
        ...extra(p, runs),
      };
    }
  }
}

const extra = (p: Proposal, runs: number) => (p.source === 'planner' ? { extraRuns: runs } : {});

/** Which way an automated interval moves, measured from the last automated one (or the baseline). */
function direction(
  state: EndpointState,
  intervalMs: number,
): { direction: 'faster' | 'slower'; change: boolean } | null {
  const baseline = state.config?.baseline;
  const reference =
    state.steering.lastIntervalMs ?? (baseline?.kind === 'interval' ? baseline.everyMs : null);
  if (reference === null || intervalMs === reference) return null;
  const way = intervalMs < reference ? 'faster' : 'slower';
  return {
    direction: way,
    change: state.steering.direction !== null && way !== state.steering.direction,
  };
}

function antiThrash(state: EndpointState, { now, policy }: ArbiterContext): Refusal | null {
  const { windowMs, maxChanges, cooldownMs } = policy.antiThrash;
  const { cooldownUntil, changes } = state.steering;
  if (cooldownUntil !== null && cooldownUntil > now) {
    return refuse(
      'anti_thrash',
      `direction changes are refused until ${toIso(cooldownUntil)} (cooldown)`,
    );
  }
  const recent = changes.filter((at) => at > now - windowMs).length;
  if (recent < maxChanges) return null;
  const until = now + cooldownMs;
  return refuse(
    'anti_thrash',
    `${recent} direction changes in the last ${windowMs / 60_000} min (limit ${maxChanges}); cooldown until ${toIso(until)}`,
    { cooldownUntil: until },
  );
}

/**
 * The runs an interval hint adds over its TTL compared with what would run without it: the live
 * hint's interval until that hint lapses, then the baseline's (a cron or trigger-only baseline
 * counts every hinted run). Measured over the same span, so re-proposing a fast interval before
 * it lapses counts the runs its extension adds, not none.
 */
function extraRunsOf(state: EndpointState, intervalMs: number, ttlMs: number, now: Millis): number {
  const live = state.hints.interval;
  const baseline = state.config?.baseline;
  const liveFor = live && live.expiresAt > now ? Math.min(live.expiresAt - now, ttlMs) : 0;
  const without =
    (live && liveFor > 0 ? Math.floor(liveFor / live.intervalMs) : 0) +
    (baseline?.kind === 'interval' ? Math.floor((ttlMs - liveFor) / baseline.everyMs) : 0);
  return Math.max(0, Math.floor(ttlMs / intervalMs) - without);
}

function withinBudget(
  p: Proposal,
  state: EndpointState,
  ctx: ArbiterContext,
  runs: number,
): Refusal | null {
  if (p.source !== 'planner' || runs === 0) return null;
  const { windowMs, perEndpoint, perJob } = ctx.policy.budget;
  const spent = state.steering.extraRuns
    .filter((e) => e.at > ctx.now - windowMs)
    .reduce((sum, e) => sum + e.runs, 0);
  const minutes = windowMs / 60_000;
  if (spent + runs > perEndpoint) {
    return refuse(
      'budget',
      `${runs} extra runs asked, ${Math.max(0, perEndpoint - spent)} of ${perEndpoint} left for ${state.endpointId} in ${minutes} min`,
    );
  }
  const job = ctx.jobExtraRuns ?? 0;
  if (job + runs > perJob) {
    return refuse(
      'budget',
      `${runs} extra runs asked, ${Math.max(0, perJob - job)} of ${perJob} left for job ${state.jobId} in ${minutes} min`,
    );
  }
  return null;
}
