import {
  decide,
  endpointStream,
  toIso,
  type AppendRequest,
  type JobPayload,
  type QueuedJob,
} from '@orrery/domain';
import { runIdFor, scheduleOf } from '../projection/schedule-of.js';
import type { ClaimedEndpoint } from './claim.js';

export interface DispatchPlan {
  /** RunDispatched appends, one per due endpoint, each at the claimed version. */
  readonly appends: AppendRequest[];
  /** The execute job of each append, in the same order. */
  readonly jobs: QueuedJob<'execute'>[];
  /** Claimed rows that were not due after all (the read model lagged), and until when. */
  readonly deferrals: { endpointId: string; streamVersion: number; until: number | null }[];
  /** Claimed rows the decider refused, with why (logged; the row is retried later). */
  readonly refusals: { endpointId: string; reason: string }[];
}

export interface DispatchSettings {
  readonly dispatcherId: string;
  /** Lease beyond the endpoint's timeout before a run counts as lost. */
  readonly leaseMarginMs: number;
}

/**
 * Decides the dispatch of each claimed endpoint at `now`. The governor is
 * re-run on the claimed state, so a hint that lapsed since the projection
 * wrote the row is ignored at once.
 */
export function planDispatch(
  claimed: readonly ClaimedEndpoint[],
  now: number,
  settings: DispatchSettings,
): DispatchPlan {
  const plan: DispatchPlan = { appends: [], jobs: [], deferrals: [], refusals: [] };
  for (const { endpointId, tenantId, streamVersion, state } of claimed) {
    const view = scheduleOf(state, now);
    const config = state.config;
    if (view.dueAt === null || view.dueAt > now || view.slot === null || config === null) {
      plan.deferrals.push({ endpointId, streamVersion, until: view.dueAt });
      continue;
    }
    const runId = view.redispatchRunId ?? runIdFor(endpointId, view.slot);
    const oneShot = view.decision.inputs.oneShotHint;
    const hintId = view.reason === 'one_shot_hint' && oneShot ? oneShot.hintId : undefined;
    const result = decide(
      {
        type: 'RecordDispatch',
        runId,
        scheduledFor: view.slot,
        leaseMs: config.timeoutMs + settings.leaseMarginMs,
        reason: view.reason,
        ...(hintId === undefined ? {} : { hintId }),
      },
      state,
      { now, metadata: { tenantId, actor: { kind: 'system', id: settings.dispatcherId } } },
    );
    if (!result.ok) {
      plan.refusals.push({ endpointId, reason: result.error.message });
      continue;
    }
    const dispatched = result.value[0];
    if (dispatched?.type !== 'RunDispatched') continue;
    const { attempt, scheduledFor, leaseUntil } = dispatched.data;
    plan.appends.push({
      streamId: endpointStream(endpointId),
      expectedVersion: streamVersion,
      events: result.value,
      idempotencyKey: `dispatch:${runId}:${attempt}`,
    });
    const payload: JobPayload<'execute'> = {
      runId,
      endpointId,
      tenantId,
      scheduledFor,
      dispatchedAt: toIso(now),
      leaseUntil,
      attempt,
      request: config.request,
      timeoutMs: config.timeoutMs,
      responseCapBytes: config.responseCapBytes,
    };
    // Job id = run id. A re-dispatch gets its own id: BullMQ keeps finished
    // jobs for a while and would otherwise swallow the second attempt.
    plan.jobs.push({ id: attempt === 1 ? runId : `${runId}-a${attempt}`, data: payload });
  }
  return plan;
}
