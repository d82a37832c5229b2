import type { PlannerSessionData, SessionOutcome } from '@orrery/domain';
import type { PlannerSessionRow } from '@orrery/scheduling';
import { z } from 'zod';
import type { ApiDeps } from '../deps.js';
import { ProblemError } from '../problem.js';
import { encodeCursor, pageAfter } from '../schemas/common.js';
import type { PlannerSessionSummaryView, PlannerSessionView } from '../schemas/planner-sessions.js';

/** What a session list is narrowed by (all must hold); the tenant always. */
export interface PlannerSessionFilters {
  readonly limit: number;
  readonly cursor?: string | undefined;
  readonly job?: string | undefined;
  readonly endpoint?: string | undefined;
  readonly outcome?: SessionOutcome | undefined;
  /** Inclusive lower bound on the session's start. */
  readonly since?: string | undefined;
  /** Exclusive upper bound. */
  readonly until?: string | undefined;
}

/** A planner_sessions row as the list shows it. */
export const sessionSummary = (row: PlannerSessionRow): PlannerSessionSummaryView => ({
  sessionId: row.session_id,
  endpointId: row.endpoint_id,
  jobId: row.job_id,
  planner: row.planner,
  model: row.model,
  outcome: row.outcome,
  startedAt: row.started_at.toISOString(),
  durationMs: row.duration_ms,
  proposalCount: row.proposals,
  accepted: row.accepted,
  rejected: row.rejected,
  tokens: { input: row.input_tokens, output: row.output_tokens },
  position: row.position,
  recordedAt: row.recorded_at.toISOString(),
});

/** Newest first by log position; the cursor is the last row's position. */
const PositionCursor = z.number().int().nonnegative();

/** A page of the tenant's planner sessions, summarised (newest first). */
export async function listPlannerSessions(
  db: ApiDeps['db'],
  tenantId: string,
  query: PlannerSessionFilters,
): Promise<{ items: PlannerSessionSummaryView[]; nextCursor: string | null }> {
  const after = pageAfter(query.cursor, PositionCursor);
  let select = db
    .selectFrom('planner_sessions')
    .selectAll()
    .where('tenant_id', '=', tenantId)
    .orderBy('position', 'desc')
    .limit(query.limit + 1);
  if (query.job !== undefined) select = select.where('job_id', '=', query.job);
  if (query.endpoint !== undefined) select = select.where('endpoint_id', '=', query.endpoint);
  if (query.outcome !== undefined) select = select.where('outcome', '=', query.outcome);
  if (query.since !== undefined) select = select.where('started_at', '>=', new Date(query.since));
  if (query.until !== undefined) select = select.where('started_at', '<', new Date(query.until));
  if (after !== undefined) select = select.where('position', '<', after);
  const rows = await select.execute();
  const last = rows[query.limit - 1];
  return {
    items: rows.slice(0, query.limit).map(sessionSummary),
    nextCursor: rows.length > query.limit && last ? encodeCursor(last.position) : null,
  };
}

/** One planner session of the tenant, whole; 404 when the tenant has none of this id. */
export async function readPlannerSession(
  db: ApiDeps['db'],
  tenantId: string,
  sessionId: string,
): Promise<PlannerSessionView> {
  const row = await db
    .selectFrom('planner_sessions')
    .selectAll()
    .where('tenant_id', '=', tenantId)
    .where('session_id', '=', sessionId)
    .executeTakeFirst();
  if (!row) throw new ProblemError('not_found', `planner session ${sessionId} not found`);
  const data = row.data as PlannerSessionData;
  return {
    ...sessionSummary(row),
    trigger: data.trigger,
    basedOnPosition: data.basedOnPosition,
    detail: data.detail ?? null,
    reasoning: data.reasoning,
    proposals: data.proposals.map((p) => ({
      proposalId: p.proposalId,
      targetEndpointId: p.targetEndpointId,
      kind: p.kind,
      outcome: p.outcome,
      rule: p.rule ?? null,
      detail: p.detail ?? null,
    })),
    toolCalls: data.toolCalls,
    usage: data.usage,
  };
}
