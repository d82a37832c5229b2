import { makeEvent } from '../events/event.js';
import type { EventDataInput, HintSlot } from '../events/catalogue.js';
import { fail, ok } from '../errors.js';
import { MAX_DURATION_MS, MAX_HORIZON_MS } from '../limits.js';
import { toIso, type Millis } from '../time.js';
import { arbitrate, type ArbiterRule } from '../arbiter/arbiter.js';
import { defaultArbiterPolicy } from '../arbiter/policy.js';
import type { Proposal, ProposalAction } from '../arbiter/proposal.js';
import type { EndpointCommand } from './commands.js';
import type { DecideContext, Decided } from '../decider.js';
import type { EndpointState } from './state.js';

/**
 * A user's (or cascade's) hint request through the arbiter: `ProposeHint` is a `Propose` of an
 * interval or one-shot action.
 */
export function decideHint(
  command: Extract<EndpointCommand, { type: 'ProposeHint' }>,
  state: EndpointState,
  ctx: DecideContext,
): Decided {
  const { hint } = command;
  const action: ProposalAction =
    hint.slot === 'interval'
      ? { kind: 'interval', intervalMs: hint.intervalMs, ttlMs: hint.ttlMs }
      : {
          kind: 'oneShot',
          ttlMs: hint.ttlMs,
          ...(hint.runAt === undefined ? {} : { runAt: hint.runAt }),
        };
  const proposal: Proposal = {
    id: command.hintId,
    source: command.source,
    sourceId: command.sourceId,
    reason: command.reason,
    action,
    ...(command.basedOnPosition === undefined ? {} : { basedOnPosition: command.basedOnPosition }),
    ...(command.fromEndpointId === undefined ? {} : { fromEndpointId: command.fromEndpointId }),
  };
  return decideProposal({ type: 'Propose', proposal }, state, ctx);
}

/**
 * Decides a proposal with the arbiter and records its one outcome: `HintProposed` (the interval
 * clamped to the endpoint's bounds, the clamp recorded), `Paused`, `HintsCleared` — or
 * `HintRejected` with the rule, the detail and the decision it met. A hint taken ends the one
 * it replaces first: `HintSuperseded` when that one was live, `HintExpired` when its TTL had
 * passed (the expiry not yet recorded).
 *
 * Malformed values (a TTL out of range, a run time after the TTL) are a validation error for a
 * user — nothing is recorded, the API answers 400 — and a refusal (`invalid`) for any other
 * source, so that an automated proposal still has its outcome on record.
 */
export function decideProposal(
  command: Extract<EndpointCommand, { type: 'Propose' }>,
  state: EndpointState,
  ctx: DecideContext,
): Decided {
  const { proposal } = command;
  if (!state.config || state.status !== 'active') return fail('not_found', 'endpoint not found');
  const rejected = (
    rule: ArbiterRule,
    detail: string,
    extra: Partial<EventDataInput<'HintRejected'>> = {},
  ) =>
    ok([
      makeEvent(
        'HintRejected',
        {
          proposalId: proposal.id,
          ...(slotOf(proposal.action) ? { slot: slotOf(proposal.action) } : {}),
          kind: proposal.action.kind,
          source: proposal.source,
          sourceId: proposal.sourceId,
          ...(proposal.fromEndpointId === undefined
            ? {}
            : { fromEndpointId: proposal.fromEndpointId }),
          rule,
          detail,
          ...(proposal.basedOnPosition === undefined
            ? {}
            : { basedOnPosition: proposal.basedOnPosition }),
          requested: requestedOf(proposal.action),
          ...extra,
        },
        ctx.metadata,
      ),
    ]);
  const invalid = malformed(proposal.action, ctx.now);
  if (invalid) {
    if (proposal.source === 'user')
      return fail('validation', invalid.message, { field: invalid.field });
    return rejected('invalid', `${invalid.field}: ${invalid.message}`);
  }
  const verdict = arbitrate(proposal, state, {
    now: ctx.now,
    policy: command.policy ?? defaultArbiterPolicy,
    ...(command.jobExtraRuns === undefined ? {} : { jobExtraRuns: command.jobExtraRuns }),
    ...(command.holds === undefined ? {} : { holds: command.holds }),
  });
  if (verdict.outcome === 'reject') {
    return rejected(verdict.rule, verdict.detail, {
      ...(verdict.winner ? { winner: verdict.winner } : {}),
      ...(verdict.cooldownUntil === undefined
        ? {}
        : { cooldownUntil: toIso(verdict.cooldownUntil) }),
    });
  }
  const { action } = verdict;
  const by = { proposalId: proposal.id, source: proposal.source };
  if (action.kind === 'pause') {
    return ok([
      makeEvent(
        'Paused',
        {
          until: toIso(action.until),
          reason: proposal.reason,
          ...by,
          ...(verdict.clamped ? { clamped: verdict.clamped } : {}),
        },
        ctx.metadata,
      ),
    ]);
  }
  if (action.kind === 'clear') {
    const hintIds = action.slots.flatMap((slot) => state.hints[slot]?.hintId ?? []);
    return ok([
      makeEvent(
        'HintsCleared',
        { slots: [...action.slots], reason: proposal.reason, hintIds, ...by },
        ctx.metadata,
      ),
    ]);
  }
  const slot: HintSlot = action.kind;
  const live = state.hints[slot];
  // The hint this one replaces gets its outcome first.
  const ended = !live
    ? []
    : live.expiresAt > ctx.now
      ? [
          makeEvent(
            'HintSuperseded',
            { hintId: live.hintId, slot, byHintId: proposal.id },
            ctx.metadata,
          ),
        ]
      : [
          makeEvent(
            'HintExpired',
            { hintId: live.hintId, slot, expiresAt: toIso(live.expiresAt) },
            ctx.metadata,
          ),
        ];
  const common = {
    hintId: proposal.id,
    source: proposal.source,
    sourceId: proposal.sourceId,
    reason: proposal.reason,
    expiresAt: toIso(ctx.now + action.ttlMs),
    proposedAt: toIso(ctx.now),
    ...(proposal.basedOnPosition === undefined
      ? {}
      : { basedOnPosition: proposal.basedOnPosition }),
    ...(proposal.fromEndpointId === undefined ? {} : { fromEndpointId: proposal.fromEndpointId }),
    ...(verdict.extraRuns === undefined ? {} : { extraRuns: verdict.extraRuns }),
  };
  if (action.kind === 'oneShot') {
    const runAt = Math.max(action.runAt ?? ctx.now, ctx.now);
    return ok([
      ...ended,
      makeEvent('HintProposed', { slot: 'oneShot', runAt: toIso(runAt), ...common }, ctx.metadata),
    ]);
  }
  return ok([
    ...ended,
    makeEvent(
      'HintProposed',
      {
        slot: 'interval',
        intervalMs: action.intervalMs,
        ...(verdict.clamped ? { clamped: verdict.clamped } : {}),
        ...(verdict.steering ? { steering: verdict.steering } : {}),
        ...common,
      },
      ctx.metadata,
    ),
  ]);
}

const slotOf = (action: ProposalAction): HintSlot | undefined =>
  action.kind === 'interval' || action.kind === 'oneShot' ? action.kind : undefined;

function requestedOf(action: ProposalAction): Record<string, unknown> {
  switch (action.kind) {
    case 'interval':
      return { intervalMs: action.intervalMs, ttlMs: action.ttlMs };
    case 'oneShot':
      return {
        ttlMs: action.ttlMs,
        ...(action.runAt === undefined ? {} : { runAt: safeIso(action.runAt) }),
      };
    case 'pause':
      return { until: safeIso(action.until) };
    case 'clear':
      return { slots: [...action.slots] };
  }
}

const safeIso = (at: number) =>
  Number.isFinite(at) && Math.abs(at) < 8.64e15 ? toIso(at) : String(at);

/** Values no policy could make sense of: the field to blame and why. */
function malformed(action: ProposalAction, now: Millis): { field: string; message: string } | null {
  const ttl = (ttlMs: number) =>
    Number.isInteger(ttlMs) && ttlMs > 0 && ttlMs <= MAX_DURATION_MS
      ? null
      : {
          field: 'hint.ttlMs',
          message: `ttlMs must be an integer in (0, ${MAX_DURATION_MS}] (366 days)`,
        };
  switch (action.kind) {
    case 'interval':
      if (
        !Number.isInteger(action.intervalMs) ||
        action.intervalMs <= 0 ||
        action.intervalMs > MAX_DURATION_MS
      ) {
        return {
          field: 'hint.intervalMs',
          message: `intervalMs must be an integer in (0, ${MAX_DURATION_MS}] (366 days)`,
        };
      }
      return ttl(action.ttlMs);
    case 'oneShot': {
      const bad = ttl(action.ttlMs);
      if (bad) return bad;
      if (action.runAt !== undefined && !Number.isFinite(action.runAt)) {
        return { field: 'hint.runAt', message: 'runAt must be a valid instant' };
      }
      const runAt = Math.max(action.runAt ?? now, now);
      return runAt >= now + action.ttlMs
        ? { field: 'hint.ttlMs', message: 'the hint expires before its run time' }
        : null;
    }
    case 'pause':
      return Number.isFinite(action.until) &&
        action.until > now &&
        action.until <= now + MAX_HORIZON_MS
        ? null
        : { field: 'until', message: 'a pause must end after now and within 100 years' };
    case 'clear':
      return action.slots.length > 0 ? null : { field: 'slots', message: 'name at least one slot' };
  }
}

/**
 * Records that a hint lapsed; nothing to do if the slot is empty (or holds another hint than
 * `hintId`: the one asked about already has its outcome). Refused while the hint is live.
 */
export function expireHint(
  slot: HintSlot,
  hintId: string | undefined,
  state: EndpointState,
  ctx: DecideContext,
): Decided {
  const hint = state.hints[slot];
  if (!hint || (hintId !== undefined && hint.hintId !== hintId)) return ok([]);
  if (hint.expiresAt > ctx.now) {
    return fail('precondition', `hint ${hint.hintId} is live until ${toIso(hint.expiresAt)}`);
  }
  return ok([
    makeEvent(
      'HintExpired',
      { hintId: hint.hintId, slot, expiresAt: toIso(hint.expiresAt) },
      ctx.metadata,
    ),
  ]);
}

export function clearHints(
  slots: readonly HintSlot[],
  reason: string,
  state: EndpointState,
  ctx: DecideContext,
): Decided {
  const occupied = slots.filter((slot) => state.hints[slot] !== null);
  if (occupied.length === 0) return ok([]);
  const hintIds = occupied.flatMap((slot) => state.hints[slot]?.hintId ?? []);
  return ok([makeEvent('HintsCleared', { slots: occupied, reason, hintIds }, ctx.metadata)]);
}

export const isPaused = (state: EndpointState, now: number): boolean =>
  state.pause !== null && (state.pause.until === null || state.pause.until > now);
