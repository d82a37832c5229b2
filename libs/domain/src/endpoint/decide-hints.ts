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
 * Refuses what the state forbids: planner hints on a paused endpoint, and a
 * lower source replacing a higher source's live hint (user > cascade > planner).
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
  if (source === 'planner' && isPaused(state, ctx.now)) {
    return fail('precondition', 'the endpoint is paused: pause wins over planner hints');
  }
  const live = state.hints[hint.slot];
  if (live && live.expiresAt > ctx.now && rank[live.source] > rank[source]) {
    return fail(
      'conflict',
      `a live ${live.source} hint (${live.hintId}) outranks a ${source} hint`,
      {
        field: 'source',
      },
    );
  }
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
    makeEvent(
      'HintProposed',
      { slot: 'interval', intervalMs: applied, ...clamped, ...common },
      ctx.metadata,
    ),
  ]);
}

/** Records that a hint lapsed; nothing to do if the slot is empty or the hint still live. */
export function expireHint(slot: HintSlot, state: EndpointState, ctx: DecideContext): Decided {
  const hint = state.hints[slot];
  if (!hint) return ok([]);
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
  return ok([makeEvent('HintsCleared', { slots: occupied, reason }, ctx.metadata)]);
}

export const isPaused = (state: EndpointState, now: number): boolean =>
  state.pause !== null && (state.pause.until === null || state.pause.until > now);
