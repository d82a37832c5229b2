import fc from 'fast-check';
import type { EndpointCommand } from '../endpoint/commands.js';
import { decide } from '../endpoint/decide.js';
import { evolve } from '../endpoint/evolve.js';
import { initialState, type EndpointState } from '../endpoint/state.js';
import type { HintSlot, HintSource } from '../events/catalogue.js';
import type { DomainEvent } from '../events/event.js';
import { MAX_CASCADE_DEPTH } from '../graph/inputs.js';
import { edgeFrom, metaOf, MINUTE, registered, SECOND, T0 } from './arbiter.test-support.js';
import type { ArbiterPolicy } from './policy.js';
import type { Proposal, ProposalAction } from './proposal.js';

/**
 * Random histories of e1 (every minute, bounded to [10 s, 10 min], an edge `up → e1`) for the
 * arbiter's properties: users, cascades and planners propose every kind of change — well-formed
 * or not, based on a fresh or a stale view, owned or not, within a cascade chain or not — while
 * users pause and resume, runs respond, time passes and the expiry processor records lapses.
 */

/** Around e1's bounds and its 1 min baseline, and beyond them. */
const intervalMsArb = fc.oneof(
  fc.constantFrom(5, 10, 20, 30, 45, 60, 90, 120, 300, 1200).map((s) => s * SECOND),
  fc.integer({ min: 1, max: 30 * MINUTE }),
);
const ttlMsArb = fc.integer({ min: 30 * SECOND, max: 5 * MINUTE });
const weighted = <T>(...entries: [number, T][]) =>
  fc.oneof(...entries.map(([weight, value]) => ({ weight, arbitrary: fc.constant(value) })));

const actionArb = fc.oneof(
  {
    weight: 6,
    arbitrary: fc.record({
      kind: fc.constant('interval' as const),
      intervalMs: intervalMsArb,
      ttlMs: ttlMsArb,
    }),
  },
  {
    weight: 2,
    arbitrary: fc.record({
      kind: fc.constant('oneShot' as const),
      inMs: fc.option(fc.integer({ min: -MINUTE, max: 2 * MINUTE }), { nil: undefined }),
      ttlMs: ttlMsArb,
    }),
  },
  {
    weight: 1,
    arbitrary: fc.record({
      kind: fc.constant('pause' as const),
      // Around the properties' 10 min limit on a planner's pause, too.
      forMs: fc.oneof(
        fc.integer({ min: 1, max: 20 * MINUTE }),
        fc.constantFrom(10 * MINUTE, 10 * MINUTE + 1),
      ),
    }),
  },
  {
    weight: 1,
    arbitrary: fc.record({
      kind: fc.constant('clear' as const),
      slots: fc.constantFrom<HintSlot[]>(
        ['interval'],
        ['oneShot'],
        ['interval', 'oneShot'],
        ['interval', 'interval'],
      ),
    }),
  },
);

export const proposalArb = fc.record({
  kind: fc.constant('propose' as const),
  source: weighted<HintSource>([1, 'user'], [2, 'cascade'], [2, 'agent'], [4, 'planner']),
  action: actionArb,
  /** Values no policy makes sense of: a zero TTL, a pause ending now, no slot to clear... */
  malformed: weighted([12, false], [1, true]),
  /** The view it was based on: none, or this many events behind the head of the log. */
  basedOn: fc.oneof(
    { weight: 2, arbitrary: fc.constant('none' as const) },
    { weight: 4, arbitrary: fc.constant(0) },
    { weight: 1, arbitrary: fc.integer({ min: 1, max: 4 }) },
  ),
  /**
   * Planners: analysed e1 itself, its upstream (`edge`), an unrelated endpoint, or none named.
   * Cascades: the edge from `up`, or one that does not lead to e1 (`stranger`).
   */
  owner: weighted<'own' | 'edge' | 'stranger' | 'anonymous'>(
    [8, 'own'],
    [2, 'edge'],
    [1, 'stranger'],
    [1, 'anonymous'],
  ),
  /** A causation chain: none, a short one, one through e1 already, one at the depth limit. */
  chain: weighted<'none' | 'short' | 'loop' | 'deep'>(
    [12, 'none'],
    [2, 'short'],
    [1, 'loop'],
    [1, 'deep'],
  ),
  /** The job's extra runs in the budget window, as the caller counted them. */
  jobExtraRuns: fc.oneof(fc.constant(0), fc.integer({ min: 0, max: 35 })),
});
export type ProposalStep = typeof proposalArb extends fc.Arbitrary<infer T> ? T : never;

export const stepArb = fc.record({
  advance: fc.oneof(
    fc.constant(0),
    fc.integer({ min: 1, max: MINUTE }),
    fc.integer({ min: 1, max: 10 * MINUTE }),
  ),
  action: fc.oneof(
    { weight: 8, arbitrary: proposalArb },
    {
      weight: 1,
      arbitrary: fc.record({
        kind: fc.constant('pause' as const),
        forMs: fc.option(fc.integer({ min: 1, max: 5 * MINUTE }), { nil: null, freq: 10 }),
      }),
    },
    { weight: 1, arbitrary: fc.constant({ kind: 'resume' as const }) },
    { weight: 2, arbitrary: fc.constant({ kind: 'run' as const }) },
    { weight: 2, arbitrary: fc.constant({ kind: 'expire' as const }) },
  ),
});
export type Step = typeof stepArb extends fc.Arbitrary<infer T> ? T : never;

function actionOf(step: ProposalStep, now: number): ProposalAction {
  const { action, malformed } = step;
  switch (action.kind) {
    case 'interval':
      return { ...action, ttlMs: malformed ? 0 : action.ttlMs };
    case 'oneShot': {
      // Well-formed, it runs before it expires.
      const inMs = action.inMs === undefined ? undefined : Math.min(action.inMs, action.ttlMs - 1);
      const runAt = malformed ? now + action.ttlMs : inMs === undefined ? undefined : now + inMs;
      return { kind: 'oneShot', ttlMs: action.ttlMs, ...(runAt === undefined ? {} : { runAt }) };
    }
    case 'pause':
      return { kind: 'pause', until: malformed ? now : now + action.forMs };
    case 'clear':
      return { kind: 'clear', slots: malformed ? [] : action.slots };
  }
}

/** The proposal `id` a step stands for at `now`, with the log's head at position `head`. */
export function proposalOf(step: ProposalStep, id: string, now: number, head: number): Proposal {
  const { source, owner, chain, basedOn } = step;
  const from = { own: 'e1', edge: 'up', stranger: 'other', anonymous: undefined }[owner];
  const identity =
    source === 'user' || source === 'agent'
      ? { sourceId: 'u1' }
      : source === 'cascade'
        ? { sourceId: owner === 'stranger' ? 'other.e1' : 'up.e1' }
        : { sourceId: 'session', ...(from === undefined ? {} : { fromEndpointId: from }) };
  return {
    id,
    source,
    reason: 'random',
    action: actionOf(step, now),
    ...identity,
    ...(basedOn === 'none' ? {} : { basedOnPosition: Math.max(0, head - basedOn) }),
    ...(chain === 'none'
      ? {}
      : {
          cascade: {
            root: 'r1',
            depth: chain === 'deep' ? MAX_CASCADE_DEPTH : 1,
            chain: chain === 'loop' ? ['up', 'e1'] : ['up'],
          },
        }),
  };
}

/** An event as read back from the log, with the time it was decided at. */
export type Placed = DomainEvent & { readonly position: number; readonly now: number };

/** A proposal decided: on what, and its events (null: a refusal, nothing recorded). */
export interface Decision {
  readonly step: ProposalStep;
  readonly proposal: Proposal;
  readonly now: number;
  readonly before: EndpointState;
  /** The log it was decided on. */
  readonly seen: readonly Placed[];
  readonly events: readonly DomainEvent[] | null;
}

/** What the state was after a step, at its time. */
export interface Moment {
  readonly state: EndpointState;
  readonly now: number;
}

/** Plays the steps on e1 under `policy`; each event gets the next position of the log. */
export function play(steps: readonly Step[], policy: ArbiterPolicy) {
  const log: Placed[] = [];
  const decisions: Decision[] = [];
  const moments: Moment[] = [];
  let state = initialState();
  let now = T0;
  const place = (event: DomainEvent) => {
    const placed = { ...event, position: log.length + 1, now };
    log.push(placed);
    state = evolve(state, placed);
  };
  const run = (command: EndpointCommand, kind: HintSource | 'system') => {
    const decided = decide(command, state, { now, metadata: metaOf(kind) });
    if (decided.ok) decided.value.forEach(place);
    return decided;
  };
  [registered, edgeFrom('up')].forEach(place);
  steps.forEach(({ advance, action }, n) => {
    now += advance;
    switch (action.kind) {
      case 'propose': {
        const proposal = proposalOf(action, `p${n}`, now, log.length);
        const [before, seen] = [state, [...log]];
        const { jobExtraRuns } = action;
        const decided = run({ type: 'Propose', proposal, policy, jobExtraRuns }, proposal.source);
        const events = decided.ok ? decided.value : null;
        decisions.push({ step: action, proposal, now, before, seen, events });
        break;
      }
      case 'pause':
        run({ type: 'Pause', until: action.forMs === null ? null : now + action.forMs }, 'user');
        break;
      case 'resume':
        run({ type: 'Resume' }, 'user');
        break;
      case 'run':
        run({ type: 'Dispatch', leaseMarginMs: 5 * SECOND }, 'system');
        if (state.inFlight) run(responseTo(state.inFlight.runId, now), 'system');
        break;
      case 'expire':
        for (const slot of ['interval', 'oneShot'] as const) {
          const hint = state.hints[slot];
          if (hint && hint.expiresAt <= now)
            run({ type: 'ExpireHint', slot, hintId: hint.hintId }, 'system');
        }
    }
    moments.push({ state, now });
  });
  return { log, decisions, moments };
}

const responseTo = (runId: string, now: number): EndpointCommand => ({
  type: 'RecordResponse',
  response: {
    runId,
    startedAt: new Date(now).toISOString(),
    finishedAt: new Date(now).toISOString(),
    durationMs: 1,
    status: 200,
    ok: true,
    headers: {},
    body: null,
    bodyTruncated: false,
  },
});
