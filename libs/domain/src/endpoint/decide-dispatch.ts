import { makeEvent } from '../events/event.js';
import type { DecideContext, Decided } from '../decider.js';
import { fail, ok } from '../errors.js';
import { gateVerdicts, type GateVerdict } from '../graph/freshness.js';
import type { PendingCascade } from '../graph/inputs.js';
import type { Holds } from '../governor/holds.js';
import { toIso, type Millis } from '../time.js';
import type { EndpointCommand } from './commands.js';
import { isHeld, runIdFor, scheduleOf } from './schedule-of.js';
import type { EndpointState } from './state.js';

// The endpoint decider's dispatch rules: what is due (now, or within a dispatch-ahead horizon),
// a closed gate's skip, a cascade's run, and the RunDispatched of a slot or a lapsed run.

/**
 * The run due at `ctx.now`, if any, as RunDispatched (see the `Dispatch` command); with `aheadMs`,
 * also a new slot due within `ctx.now + aheadMs`, dispatched ahead with its `startAt`.
 */
export function dispatchDue(
  leaseMarginMs: number,
  holds: Holds,
  state: EndpointState,
  ctx: DecideContext,
  { aheadMs }: { aheadMs: number } = { aheadMs: 0 },
): Decided {
  const view = scheduleOf(state, ctx.now, holds);
  const { config } = state;
  if (view.dueAt === null || view.slot === null || config === null) return ok([]);
  const head = state.cascade.pending[0];
  const cascade = view.reason === 'cascade' && view.redispatchRunId === null ? head : undefined;
  // Only a new slot of the endpoint's own schedule goes ahead: a lapsed lease must lapse first, a
  // cascade's run is due when it fired, and a hold's end is waited for here, not in an executor.
  const mayGoAhead =
    view.redispatchRunId === null && cascade === undefined && !isHeld(state, ctx.now, holds);
  if (view.dueAt > ctx.now + (mayGoAhead ? Math.max(0, aheadMs) : 0)) return ok([]);
  const startAt = view.dueAt > ctx.now ? view.dueAt : undefined;
  const oneShot = view.decision.inputs.oneShotHint;
  const hintId = view.reason === 'one_shot_hint' && oneShot ? oneShot.hintId : undefined;
  if (view.redispatchRunId === null) {
    // A closed gate skips the run (and spends its slot, hint or cascade), recording what it saw.
    const closed = gateVerdicts(state, ctx.now).find((g) => !g.open);
    if (closed !== undefined && !closed.open) {
      return skipped(closed, view.slot, { hintId, cascadeId: cascade?.cascadeId }, ctx);
    }
  }
  if (cascade !== undefined) {
    return dispatchCascade(cascade, config.timeoutMs + leaseMarginMs, state, ctx);
  }
  return recordDispatch(
    {
      type: 'RecordDispatch',
      runId: view.redispatchRunId ?? runIdFor(state.endpointId, view.slot),
      scheduledFor: view.slot,
      leaseMs: config.timeoutMs + leaseMarginMs,
      reason: view.reason,
      ...(hintId === undefined ? {} : { hintId }),
      ...(startAt === undefined ? {} : { startAt }),
    },
    state,
    ctx,
  );
}

function skipped(
  gate: Extract<GateVerdict, { open: false }>,
  slot: Millis,
  spent: { hintId: string | undefined; cascadeId: string | undefined },
  ctx: DecideContext,
): Decided {
  const { latest, edge } = gate.inputs;
  return ok([
    makeEvent(
      'RunSkipped',
      {
        scheduledFor: toIso(slot),
        reason: 'gate_closed',
        detail: gate.detail,
        edgeId: edge.edgeId,
        saw:
          latest === null
            ? null
            : {
                endpointId: latest.endpointId,
                runId: latest.runId,
                position: latest.position,
                respondedAt: toIso(latest.respondedAt),
                status: latest.status,
                ok: latest.ok,
              },
        ...(spent.hintId === undefined ? {} : { hintId: spent.hintId }),
        ...(spent.cascadeId === undefined ? {} : { cascadeId: spent.cascadeId }),
      },
      ctx.metadata,
    ),
  ]);
}

/**
 * The run of a fired cascade: its run id is the cascade's, its slot the time it fired, and it
 * continues the upstream's trace. When the request's templates could not be rendered, the run is
 * recorded as failed at once (error kind `template`, naming the field and expression): visible
 * with the endpoint's runs, and no call is made.
 */
function dispatchCascade(
  pending: PendingCascade,
  leaseMs: number,
  state: EndpointState,
  ctx: DecideContext,
): Decided {
  const metadata = {
    ...ctx.metadata,
    causationId: pending.inputs[0]?.runId ?? pending.cascadeId,
    ...(pending.traceparent === undefined ? {} : { traceparent: pending.traceparent }),
  };
  const dispatched = makeEvent(
    'RunDispatched',
    {
      runId: pending.cascadeId,
      scheduledFor: toIso(pending.triggeredAt),
      dispatchedAt: toIso(ctx.now),
      leaseUntil: toIso(ctx.now + leaseMs),
      attempt: 1,
      reason: 'cascade',
      cascade: pending.cascade,
    },
    metadata,
  );
  if (state.inFlight !== null) {
    return fail('conflict', `run ${state.inFlight.runId} is in flight`);
  }
  if (pending.templateError === undefined) return ok([dispatched]);
  const { field, message } = pending.templateError;
  return ok([
    dispatched,
    makeEvent(
      'ResponseRecorded',
      {
        runId: pending.cascadeId,
        startedAt: toIso(ctx.now),
        finishedAt: toIso(ctx.now),
        durationMs: 0,
        status: null,
        ok: false,
        headers: {},
        body: null,
        bodyTruncated: false,
        error: { kind: 'template', message: `${field}: ${message}` },
        cascade: pending.cascade,
      },
      metadata,
    ),
  ]);
}

export function recordDispatch(
  command: Extract<EndpointCommand, { type: 'RecordDispatch' }>,
  state: EndpointState,
  ctx: DecideContext,
): Decided {
  const inFlight = state.inFlight;
  let attempt = 1;
  if (inFlight) {
    if (inFlight.leaseUntil > ctx.now) {
      return fail(
        'conflict',
        `run ${inFlight.runId} is in flight until ${toIso(inFlight.leaseUntil)}`,
      );
    }
    // A lapsed lease re-dispatches the same slot under the same run id (and
    // so the same Idempotency-Key): at-least-once execution, one dispatch per slot.
    if (inFlight.runId !== command.runId) {
      return fail('precondition', `run ${inFlight.runId} lapsed and must be re-dispatched first`, {
        field: 'runId',
      });
    }
    attempt = inFlight.attempt + 1;
  }
  if (command.leaseMs <= 0)
    return fail('validation', 'leaseMs must be positive', { field: 'leaseMs' });
  // Dispatched ahead (a new slot only): the call starts at startAt, and the lease counts from it.
  const startAt =
    command.startAt !== undefined && command.startAt > ctx.now && !inFlight
      ? command.startAt
      : undefined;
  return ok([
    makeEvent(
      'RunDispatched',
      {
        runId: command.runId,
        scheduledFor: toIso(inFlight ? inFlight.scheduledFor : command.scheduledFor),
        dispatchedAt: toIso(ctx.now),
        ...(startAt === undefined ? {} : { startAt: toIso(startAt) }),
        leaseUntil: toIso((startAt ?? ctx.now) + command.leaseMs),
        attempt,
        reason: inFlight ? 'lease_expired' : command.reason,
        ...(command.hintId === undefined ? {} : { hintId: command.hintId }),
        // A cascade's run dispatched again is still that cascade's run.
        ...(inFlight?.cascade === undefined ? {} : { cascade: inFlight.cascade }),
      },
      ctx.metadata,
    ),
  ]);
}
