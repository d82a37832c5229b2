import { endpointStream, parseEvent, type RunOutcome } from '@orrery/domain';
import type { RunRow, RunStatus } from '@orrery/scheduling';
import { z } from 'zod';
import type { ApiDeps } from '../deps.js';
import { ProblemError } from '../problem.js';
import { encodeCursor } from '../schemas/common.js';
import type { RunDetailView, RunView } from '../schemas/runs.js';
import { pageAfter } from '../schemas/common.js';

const iso = (date: Date | null) => (date === null ? null : date.toISOString());

export const runView = (row: RunRow): RunView => ({
  id: row.run_id,
  endpointId: row.endpoint_id,
  jobId: row.job_id,
  status: row.status,
  outcome: row.outcome,
  attempt: row.attempt,
  reason: row.reason,
  scheduledFor: row.scheduled_for.toISOString(),
  dispatchedAt: row.dispatched_at.toISOString(),
  latenessMs: row.lateness_ms,
  startedAt: iso(row.started_at),
  finishedAt: iso(row.finished_at),
  durationMs: row.duration_ms,
  httpStatus: row.http_status,
  error: row.error,
  test: row.test,
});

/** Newest first: by scheduled time, then run id; the cursor is the last row's pair. */
const RunCursor = z.tuple([z.iso.datetime(), z.string()]);

/**
 * A page of the tenant's runs of one endpoint or one job, from the runs read
 * model (newest first; `(scheduled_for, run_id)` keyset over its indexes).
 */
export async function listRuns(
  db: ApiDeps['db'],
  tenantId: string,
  scope: { endpointId: string } | { jobId: string },
  query: {
    limit: number;
    cursor?: string | undefined;
    status?: RunStatus | undefined;
    outcome?: RunOutcome | undefined;
  },
): Promise<{ items: RunView[]; nextCursor: string | null }> {
  const after = pageAfter(query.cursor, RunCursor);
  let select = db
    .selectFrom('runs')
    .selectAll()
    .where('tenant_id', '=', tenantId)
    .orderBy('scheduled_for', 'desc')
    .orderBy('run_id', 'desc')
    .limit(query.limit + 1);
  select =
    'endpointId' in scope
      ? select.where('endpoint_id', '=', scope.endpointId)
      : select.where('job_id', '=', scope.jobId);
  if (query.status) select = select.where('status', '=', query.status);
  if (query.outcome) select = select.where('outcome', '=', query.outcome);
  if (after) {
    const [scheduledFor, runId] = after;
    select = select.where((eb) =>
      eb(eb.refTuple('scheduled_for', 'run_id'), '<', eb.tuple(new Date(scheduledFor), runId)),
    );
  }
  const rows = await select.execute();
  const last = rows[query.limit - 1];
  return {
    items: rows.slice(0, query.limit).map(runView),
    nextCursor:
      rows.length > query.limit && last
        ? encodeCursor([last.scheduled_for.toISOString(), last.run_id])
        : null,
  };
}

/** One run of the tenant with its recorded response (read from the log at `response_position`). */
export async function readRun(
  deps: Pick<ApiDeps, 'db' | 'events'>,
  tenantId: string,
  runId: string,
): Promise<RunDetailView> {
  const row = await deps.db
    .selectFrom('runs')
    .selectAll()
    .where('run_id', '=', runId)
    .where('tenant_id', '=', tenantId)
    .executeTakeFirst();
  if (!row) throw new ProblemError('not_found', `run ${runId} not found`);
  if (row.response_position === null) return { ...runView(row), response: null };
  const raw = await deps.events
    .selectFrom('events')
    .select(['type', 'type_version', 'data', 'metadata'])
    .where('position', '=', row.response_position)
    .where('stream_id', '=', endpointStream(tenantId, row.endpoint_id))
    .where('tenant_id', '=', tenantId)
    .executeTakeFirst();
  const event = raw && parseEvent({ ...raw, version: raw.type_version });
  if (!event?.ok || event.value.type !== 'ResponseRecorded') {
    throw new Error(`run ${runId}: no ResponseRecorded at position ${row.response_position}`);
  }
  const { headers, body, bodyTruncated, error } = event.value.data;
  return { ...runView(row), response: { headers, body, bodyTruncated, error: error ?? null } };
}
