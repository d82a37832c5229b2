import { parsePlannerStream, type PlannerSessionData, type RecordedEvent } from '@orrery/domain';
import type { Transaction } from 'kysely';
import type { SchedulingSchema } from '../read-model/schema.js';
import type { Conflict } from './fold-conflicts.js';

type Trx = Transaction<SchedulingSchema>;

/** A PlannerSessionRecorded of a planner stream, with its tenant and place in the log. */
export interface RecordedSession {
  readonly tenantId: string;
  readonly position: number;
  readonly recordedAt: string;
  readonly data: PlannerSessionData;
}

/**
 * The planner sessions of a batch. Other events of planner streams (none yet) are left alone,
 * so a newer kind of event there never stops the projection.
 */
export function plannerSessionsOf(events: readonly RecordedEvent[]): RecordedSession[] {
  return events.flatMap((event) => {
    const ref = parsePlannerStream(event.streamId);
    if (ref === null || event.type !== 'PlannerSessionRecorded') return [];
    const { position, recordedAt, data } = event;
    return [{ tenantId: ref.tenantId, position, recordedAt, data }];
  });
}

const json = (value: unknown) => (value === undefined ? null : JSON.stringify(value));

/**
 * Inserts a conflict row per HintRejected (in the projection's transaction). Keyed by the
 * event's position: handling an event twice inserts nothing more.
 */
export async function writeConflicts(trx: Trx, conflicts: readonly Conflict[]): Promise<void> {
  if (conflicts.length === 0) return;
  await trx
    .insertInto('conflicts')
    .values(
      conflicts.map(({ tenantId, endpointId, jobId, position, recordedAt, data, stateMet }) => ({
        tenant_id: tenantId,
        position,
        endpoint_id: endpointId,
        job_id: jobId,
        proposal_id: data.proposalId,
        kind: data.kind ?? null,
        slot: data.slot ?? null,
        source: data.source,
        source_id: data.sourceId,
        from_endpoint_id: data.fromEndpointId ?? null,
        rule: data.rule,
        detail: data.detail,
        based_on_position: data.basedOnPosition ?? null,
        winner: json(data.winner),
        cooldown_until: data.cooldownUntil ?? null,
        requested: json(data.requested),
        state_met: JSON.stringify(stateMet),
        recorded_at: recordedAt,
      })),
    )
    .onConflict((oc) => oc.columns(['tenant_id', 'position']).doNothing())
    .execute();
}

/** Inserts a planner session row per PlannerSessionRecorded (idempotent per session id). */
export async function writePlannerSessions(
  trx: Trx,
  sessions: readonly RecordedSession[],
): Promise<void> {
  if (sessions.length === 0) return;
  const count = (data: PlannerSessionData, outcome: string) =>
    data.proposals.filter((p) => p.outcome === outcome).length;
  await trx
    .insertInto('planner_sessions')
    .values(
      sessions.map(({ tenantId, position, recordedAt, data }) => ({
        tenant_id: tenantId,
        session_id: data.sessionId,
        endpoint_id: data.endpointId,
        job_id: data.jobId,
        planner: data.planner,
        model: data.model ?? null,
        outcome: data.outcome,
        position,
        started_at: data.startedAt,
        duration_ms: data.durationMs,
        proposals: data.proposals.length,
        accepted: count(data, 'accepted'),
        rejected: count(data, 'rejected'),
        input_tokens: data.usage.inputTokens,
        output_tokens: data.usage.outputTokens,
        data: JSON.stringify(data),
        recorded_at: recordedAt,
      })),
    )
    .onConflict((oc) => oc.columns(['tenant_id', 'session_id']).doNothing())
    .execute();
}
