import {
  ENDPOINT_STATE_VERSION,
  endpointStream,
  parseEndpointStream,
  type EndpointState,
} from '@orrery/domain';
import { sql, type Transaction } from 'kysely';
import { SCHEDULE_CHANNEL } from '../db.js';
import type { SchedulingSchema } from '../read-model/schema.js';
import type { FoldedBatch } from './fold-batch.js';
import type { HoldsSource } from './holds-source.js';
import { scheduleRowOf } from './schedule-row.js';

type Trx = Transaction<SchedulingSchema>;
const isoOrNull = (ms: number | null) => (ms === null ? null : new Date(ms).toISOString());

/**
 * The endpoints' states as the read model holds them, by stream id. A row whose state was
 * written with another schema version is not trusted: its stream is listed in `stale`, for the
 * caller to fold again from the log.
 */
export async function loadStates(
  trx: Trx,
  streamIds: readonly string[],
): Promise<{ states: Map<string, EndpointState>; stale: string[] }> {
  const refs = streamIds.flatMap((id) => parseEndpointStream(id) ?? []);
  if (refs.length === 0) return { states: new Map(), stale: [] };
  const { rows } = await sql<{
    tenant_id: string;
    endpoint_id: string;
    state: unknown;
    state_version: number;
  }>`
    select s.tenant_id, s.endpoint_id, s.state, s.state_version
    from unnest(${refs.map((r) => r.tenantId)}::text[], ${refs.map((r) => r.id)}::text[]) as k(t, e)
    join schedule s on s.tenant_id = k.t and s.endpoint_id = k.e`.execute(trx);
  const states = new Map<string, EndpointState>();
  const stale: string[] = [];
  for (const row of rows) {
    const streamId = endpointStream(row.tenant_id, row.endpoint_id);
    if (row.state_version === ENDPOINT_STATE_VERSION)
      states.set(streamId, row.state as EndpointState);
    else stale.push(streamId);
  }
  return { states, stale };
}

/**
 * Writes a folded batch: one upsert for the schedule rows, one for runs, one
 * update for responses, and a notification for dispatchers — all in the
 * caller's transaction (which also moves the checkpoint), so a crash applies
 * the batch wholly or not at all.
 */
export async function writeBatch(trx: Trx, batch: FoldedBatch, source: HoldsSource): Promise<void> {
  // Instants as ISO-8601 text in the upsert's JSON document.
  const rows: object[] = [];
  for (const endpoint of batch.endpoints.values()) {
    const row = scheduleRowOf(endpoint, source);
    if (!row) continue;
    rows.push({
      ...row,
      next_run_at: isoOrNull(row.next_run_at),
      slot_at: isoOrNull(row.slot_at),
      hint_expires_at: isoOrNull(row.hint_expires_at),
      as_of: new Date(row.as_of).toISOString(),
    });
  }
  if (rows.length > 0) {
    // The rows travel as ONE JSON document (one parameter, parsed once by Postgres): a multi-row
    // VALUES binds 17 parameters a row, past the protocol's limit of 65 535 once a batch touches
    // 3 856 endpoints (a rebuild's large batches), and costs a bind per value.
    await sql`
      insert into schedule (endpoint_id, tenant_id, job_id, stream_version, status, next_run_at,
        slot_at, reason, state, state_version, claimed_until, in_flight_run_id, hint_expires_at,
        updated_position, holds, job_version, as_of)
      select endpoint_id, tenant_id, job_id, stream_version, status, next_run_at, slot_at, reason,
        state, state_version, null, in_flight_run_id, hint_expires_at, updated_position, holds,
        job_version, as_of
      from jsonb_to_recordset(${JSON.stringify(rows)}::jsonb) as r(endpoint_id text,
        tenant_id text, job_id text, stream_version int, status text,
        next_run_at timestamptz, slot_at timestamptz, reason text, state jsonb,
        state_version int, in_flight_run_id text, hint_expires_at timestamptz,
        updated_position bigint, holds jsonb, job_version int, as_of timestamptz)
      on conflict (tenant_id, endpoint_id) do update set
        stream_version = excluded.stream_version, state_version = excluded.state_version,
        status = excluded.status, next_run_at = excluded.next_run_at,
        slot_at = excluded.slot_at, reason = excluded.reason, state = excluded.state,
        claimed_until = null, in_flight_run_id = excluded.in_flight_run_id,
        hint_expires_at = excluded.hint_expires_at,
        updated_position = excluded.updated_position, holds = excluded.holds,
        job_version = excluded.job_version, as_of = excluded.as_of`.execute(trx);
  }
  await writeRuns(trx, batch);
  if (rows.length > 0) await sql`select pg_notify(${SCHEDULE_CHANNEL}, '')`.execute(trx);
}

async function writeRuns(trx: Trx, batch: FoldedBatch): Promise<void> {
  const stateOf = (streamId: string) => batch.endpoints.get(streamId)?.state;
  // One row per run: a rebuild can meet both attempts of a re-dispatched run
  // in one batch, and one INSERT ... ON CONFLICT may touch a row only once.
  // The first attempt keeps the slot, lateness and dispatch position; the
  // last one gives the attempt number and dispatch time.
  const byRun = new Map<
    string,
    { first: (typeof batch.dispatched)[number]; last: (typeof batch.dispatched)[number] }
  >();
  for (const run of batch.dispatched) {
    const key = `${run.streamId}\n${run.runId}`;
    const seen = byRun.get(key);
    byRun.set(key, seen ? { first: seen.first, last: run } : { first: run, last: run });
  }
  const dispatched = [...byRun.values()].map(({ first: run, last }) => ({
    run_id: run.runId,
    endpoint_id: run.endpointId,
    tenant_id: stateOf(run.streamId)?.tenantId ?? '',
    job_id: stateOf(run.streamId)?.jobId ?? '',
    scheduled_for: new Date(run.scheduledFor),
    dispatched_at: new Date(last.dispatchedAt),
    attempt: last.attempt,
    reason: run.reason,
    status: 'dispatched' as const,
    outcome: 'pending' as const,
    // Dispatch lateness; 0 for a run dispatched ahead (its call waited for the slot).
    lateness_ms: Math.max(0, Math.round(run.dispatchedAt - run.scheduledFor)),
    dispatch_position: run.position,
  }));
  // Test runs were never dispatched: they get their row with their response.
  const tests = batch.recorded
    .filter((run) => run.test)
    .map((run) => ({
      run_id: run.runId,
      endpoint_id: run.endpointId,
      tenant_id: stateOf(run.streamId)?.tenantId ?? '',
      job_id: stateOf(run.streamId)?.jobId ?? '',
      scheduled_for: new Date(run.startedAt),
      dispatched_at: new Date(run.startedAt),
      attempt: 1,
      reason: 'test',
      status: 'dispatched' as const,
      outcome: 'pending' as const,
      lateness_ms: 0,
      dispatch_position: run.position,
      test: true,
    }));
  const inserts = [...dispatched, ...tests];
  if (inserts.length > 0) {
    // One JSON document, as for the schedule rows (a VALUES row binds 12 parameters: the limit
    // falls at 5 462 runs).
    // A re-dispatch after a lapsed lease: same run, next attempt; lateness stays the first's.
    await sql`
      insert into runs (run_id, endpoint_id, tenant_id, job_id, scheduled_for, dispatched_at,
        attempt, reason, status, outcome, lateness_ms, dispatch_position, test)
      select run_id, endpoint_id, tenant_id, job_id, scheduled_for, dispatched_at, attempt,
        reason, status, outcome, lateness_ms, dispatch_position, coalesce(test, false)
      from jsonb_to_recordset(${JSON.stringify(inserts)}::jsonb) as r(run_id text,
        endpoint_id text, tenant_id text, job_id text, scheduled_for timestamptz,
        dispatched_at timestamptz, attempt int, reason text, status text, outcome text,
        lateness_ms int, dispatch_position bigint, test boolean)
      on conflict (tenant_id, run_id) do update set
        attempt = excluded.attempt, dispatched_at = excluded.dispatched_at`.execute(trx);
  }
  if (batch.recorded.length === 0) return;
  const responses = JSON.stringify(
    batch.recorded.map((run) => ({
      tenant_id: stateOf(run.streamId)?.tenantId ?? parseEndpointStream(run.streamId)?.tenantId,
      run_id: run.runId,
      status: run.ok ? 'succeeded' : 'failed',
      outcome: run.outcome,
      started_at: new Date(run.startedAt).toISOString(),
      finished_at: new Date(run.finishedAt).toISOString(),
      duration_ms: run.durationMs,
      http_status: run.status,
      error: run.error,
      response_position: run.position,
    })),
  );
  await sql`
    update runs set status = r.status, outcome = r.outcome, started_at = r.started_at,
      finished_at = r.finished_at, duration_ms = r.duration_ms, http_status = r.http_status,
      error = r.error, response_position = r.response_position
    from jsonb_to_recordset(${responses}::jsonb) as r(tenant_id text, run_id text, status text,
      outcome text, started_at timestamptz, finished_at timestamptz, duration_ms double precision,
      http_status int, error text, response_position bigint)
    where runs.tenant_id = r.tenant_id and runs.run_id = r.run_id
      and runs.response_position is null`.execute(trx);
}
