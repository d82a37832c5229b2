import {
  ENDPOINT_STATE_VERSION,
  endpointStream,
  scheduleOf,
  type EndpointState,
} from '@orrery/domain';
import { sql, type Transaction } from 'kysely';
import type { SchedulingSchema } from '../read-model/schema.js';
import { holdsFor, type HoldsSource } from './holds-source.js';

type Trx = Transaction<SchedulingSchema>;
const toIso = (ms: number | null) => (ms === null ? null : new Date(ms).toISOString());

/** Whose endpoints to recompute: a tenant's, or one job's of it. */
export interface HoldScope {
  readonly tenantId: string;
  readonly jobId?: string;
}

/**
 * A job's events (pause, resume, archive) and a tenant's (disable, enable) hold every endpoint
 * under them: the rows of those endpoints that the batch did not write already are recomputed
 * under the new holds. One event on the job's or tenant's stream; the read model follows it,
 * for endpoints registered later too.
 */
export async function reholdEndpoints(
  trx: Trx,
  scopes: readonly HoldScope[],
  source: HoldsSource,
  written: ReadonlySet<string>,
): Promise<void> {
  for (const scope of scopes) {
    let query = trx
      .selectFrom('schedule')
      .select([
        'tenant_id',
        'endpoint_id',
        'job_id',
        'state',
        'state_version',
        'stream_version',
        'as_of',
      ])
      .where('tenant_id', '=', scope.tenantId);
    if (scope.jobId !== undefined) query = query.where('job_id', '=', scope.jobId);
    const rows = await query.execute();
    const updates = rows
      // A row of another state version is folded again when its stream next moves.
      .filter((row) => row.state_version === ENDPOINT_STATE_VERSION)
      .filter((row) => !written.has(endpointStream(row.tenant_id, row.endpoint_id)))
      .map((row) => {
        const state = row.state as EndpointState;
        const own = new Date(row.as_of).getTime();
        const { holds, asOf } = holdsFor(
          source,
          { tenantId: row.tenant_id, jobId: row.job_id },
          own,
        );
        const view = scheduleOf(state, asOf, holds);
        return {
          tenant_id: row.tenant_id,
          endpoint_id: row.endpoint_id,
          stream_version: row.stream_version,
          next_run_at: toIso(view.dueAt),
          slot_at: toIso(view.slot),
          reason: view.reason,
          holds,
          job_version: holds.job?.version ?? 0,
        };
      });
    if (updates.length === 0) continue;
    await sql`
      update schedule s set next_run_at = u.next_run_at, slot_at = u.slot_at, reason = u.reason,
        holds = u.holds, job_version = u.job_version, claimed_until = null
      from jsonb_to_recordset(${JSON.stringify(updates)}::jsonb) as u(tenant_id text,
        endpoint_id text, stream_version int, next_run_at timestamptz, slot_at timestamptz,
        reason text, holds jsonb, job_version int)
      where s.tenant_id = u.tenant_id and s.endpoint_id = u.endpoint_id
        and s.stream_version = u.stream_version`.execute(trx);
  }
}
