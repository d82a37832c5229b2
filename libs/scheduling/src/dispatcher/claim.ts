import type { EndpointState, Holds } from '@orrery/domain';
import { sql } from 'kysely';
import type { SchedulingDb } from '../db.js';

export interface ClaimedEndpoint {
  readonly endpointId: string;
  readonly tenantId: string;
  readonly streamVersion: number;
  readonly state: EndpointState;
  /** The job's hold the row was computed under, and the job stream's version then. */
  readonly holds: Holds;
  readonly jobVersion: number;
}

/**
 * Claims up to `limit` endpoints due by `now + aheadMs` in ONE statement: the rows are locked
 * with FOR UPDATE SKIP LOCKED and stamped `claimed_until` in the same UPDATE,
 * so concurrent dispatchers never claim the same row and never wait on each
 * other. A claim only keeps other dispatchers away; the slot itself is
 * protected by the stream's expected version when RunDispatched is appended.
 * The earliest due come first.
 */
export async function claimDue(
  db: SchedulingDb,
  now: number,
  claimTtlMs: number,
  limit: number,
  aheadMs = 0,
): Promise<ClaimedEndpoint[]> {
  const at = new Date(now);
  const horizon = new Date(now + aheadMs);
  const { rows } = await sql<{
    endpoint_id: string;
    tenant_id: string;
    stream_version: number;
    state: EndpointState;
    holds: Holds;
    job_version: number;
  }>`
    with due as (
      select tenant_id, endpoint_id from schedule
      where status = 'active' and next_run_at <= ${horizon}
        and (claimed_until is null or claimed_until <= ${at})
      order by next_run_at
      limit ${limit}
      for update skip locked
    )
    update schedule s set claimed_until = ${new Date(now + claimTtlMs)}
    from due where s.tenant_id = due.tenant_id and s.endpoint_id = due.endpoint_id
    returning s.endpoint_id, s.tenant_id, s.stream_version, s.state, s.holds, s.job_version`.execute(
    db,
  );
  return rows.map((row) => ({
    endpointId: row.endpoint_id,
    tenantId: row.tenant_id,
    streamVersion: row.stream_version,
    state: row.state,
    holds: row.holds,
    jobVersion: row.job_version,
  }));
}

/** Defers a claimed row that turned out not to be due until `until` (null: until it changes). */
export async function deferClaims(
  db: SchedulingDb,
  deferrals: readonly {
    tenantId: string;
    endpointId: string;
    streamVersion: number;
    until: number | null;
  }[],
): Promise<void> {
  if (deferrals.length === 0) return;
  const values = JSON.stringify(
    deferrals.map((d) => ({
      tenant_id: d.tenantId,
      endpoint_id: d.endpointId,
      stream_version: d.streamVersion,
      until: d.until === null ? 'infinity' : new Date(d.until).toISOString(),
    })),
  );
  // Only if the projection has not rewritten the row meanwhile (it clears claims).
  await sql`
    update schedule s set claimed_until = d.until
    from jsonb_to_recordset(${values}::jsonb)
      as d(tenant_id text, endpoint_id text, stream_version int, until timestamptz)
    where s.tenant_id = d.tenant_id and s.endpoint_id = d.endpoint_id
      and s.stream_version = d.stream_version`.execute(db);
}

/** When the next endpoint becomes claimable (null: none is scheduled). */
export async function nextClaimableAt(db: SchedulingDb): Promise<number | null> {
  const { rows } = await sql<{ at: Date | null }>`
    select greatest(next_run_at, coalesce(claimed_until, next_run_at)) as at
    from schedule where status = 'active' and next_run_at is not null
    order by greatest(next_run_at, coalesce(claimed_until, next_run_at))
    limit 1`.execute(db);
  const at = rows[0]?.at;
  return at ? new Date(at).getTime() : null;
}
