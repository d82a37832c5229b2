import { makeEvent } from '../events/event.js';
import type { HintSlot, HintSource } from '../events/catalogue.js';
import { fail, ok } from '../errors.js';
import { MAX_DURATION_MS } from '../limits.js';
import { toIso } from '../time.js';
import type { EndpointCommand } from './commands.js';
import type { DecideContext, Decided } from '../decider.js';
import type { EndpointState } from './state.js';

const rank: Record<HintSource, number> = { planner: 0, cascade: 1, user: 2 };

/**
 * Turns a requested hint into a `HintProposed` event: TTLs become instants,
 * intervals are clamped to the endpoint's bounds (and the clamp recorded).
 *
 * Every proposal ends in exactly one recorded outcome. Malformed input is an error (nothing
 * is recorded). A proposal the state forbids is recorded as `HintRejected` with its rule:
 * `pause_wins` (a planner hint on a paused endpoint) and `precedence` (a lower source replacing
 * a higher source's live hint: user > cascade > planner). A proposal taken ends the hint it
 * replaces: `HintSuperseded` when that one was live, `HintExpired` when its TTL had passed
 * (the expiry not yet recorded).
 */
export function decideHint(
  command: Extract<EndpointCommand, { type: 'ProposeHint' }>,
  state: EndpointState,
  ctx: DecideContext,
): Decided {
  const { hint, source } = command;
  const config = state.config;
  if (!config) return fail('not_found', 'endpoint not found');
  if (!(hint.ttlMs > 0 && hint.ttlMs <= MAX_DURATION_MS)) {
    return fail('validation', `ttlMs must be in (0, ${MAX_DURATION_MS}] (366 days)`, {
      field: 'hint.ttlMs',
    });
  }
  const rejected = (rule: string, detail: string) =>
    ok([
      makeEvent(
        'HintRejected',
        {
          proposalId: command.hintId,
          slot: hint.slot,
          source,
          sourceId: command.sourceId,
          rule,
          detail,
        },
        ctx.metadata,
      ),
    ]);
  if (source === 'planner' && isPaused(state, ctx.now)) {
    return rejected('pause_wins', 'the endpoint is paused: pause wins over planner hints');
  }
  const live = state.hints[hint.slot];
  if (live && live.expiresAt > ctx.now && rank[live.source] > rank[source]) {
    return rejected(
      'precedence',
      `a live ${live.source} hint (${live.hintId}) outranks a ${source} hint`,
    );
  }
  // The hint this one replaces gets its outcome first.
  const ended = !live
    ? []
    : live.expiresAt > ctx.now
      ? [
          makeEvent(
            'HintSuperseded',
            { hintId: live.hintId, slot: hint.slot, byHintId: command.hintId },
            ctx.metadata,
          ),
        ]
      : [
          makeEvent(
            'HintExpired',
            { hintId: live.hintId, slot: hint.slot, expiresAt: toIso(live.expiresAt) },
            ctx.metadata,
          ),
        ];
  const common = {
    hintId: command.hintId,
    source,
    sourceId: command.sourceId,
    reason: command.reason,
    expiresAt: toIso(ctx.now + hint.ttlMs),
    ...(command.basedOnPosition === undefined ? {} : { basedOnPosition: command.basedOnPosition }),
  };
  if (hint.slot === 'oneShot') {
    const runAt = Math.max(hint.runAt ?? ctx.now, ctx.now);
    if (runAt >= ctx.now + hint.ttlMs) {
      return fail('validation', 'the hint expires before its run time', { field: 'hint.ttlMs' });
    }
    return ok([
      ...ended,
      makeEvent('HintProposed', { slot: 'oneShot', runAt: toIso(runAt), ...common }, ctx.metadata),
    ]);
  }
  if (
    !Number.isInteger(hint.intervalMs) ||
    hint.intervalMs <= 0 ||
    hint.intervalMs > MAX_DURATION_MS
  ) {
    return fail(
      'validation',
      `intervalMs must be an integer in (0, ${MAX_DURATION_MS}] (366 days)`,
      {
        field: 'hint.intervalMs',
      },
    );
  }
  const min = Math.max(config.minIntervalMs, 1);
  const max = config.maxIntervalMs ?? Number.POSITIVE_INFINITY;
  const applied = Math.min(Math.max(hint.intervalMs, min), max);
  const clamped =
    applied === hint.intervalMs
      ? {}
      : {
          clamped: {
            requested: hint.intervalMs,
            applied,
            bound: applied > hint.intervalMs ? 'min' : 'max',
          } as const,
        };
  return ok([
    ...ended,
    makeEvent(
      'HintProposed',
      { slot: 'interval', intervalMs: applied, ...clamped, ...common },
      ctx.metadata,
    ),
  ]);
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
