import {
  ENDPOINT_STATE_VERSION,
  endpointStream,
  holdsOf,
  scheduleOf,
  type EndpointState,
} from '@orrery/domain';
import { sql, type Transaction } from 'kysely';
import type { SchedulingSchema } from '../read-model/schema.js';
import type { FoldedJob } from './fold-jobs.js';

type Trx = Transaction<SchedulingSchema>;
const toIso = (ms: number | null) => (ms === null ? null : new Date(ms).toISOString());

/**
 * A job's events hold every endpoint of the job (pause, resume, archive): the rows of the
 * job's endpoints that the batch did not write already are recomputed under the job's new
 * state, as of the later of the endpoint's last event and the job's. One event on the job's
 * stream; the read model follows it, for endpoints registered later too.
 */
export async function reholdEndpoints(
  trx: Trx,
  jobs: ReadonlyMap<string, FoldedJob>,
  written: ReadonlySet<string>,
): Promise<void> {
  for (const { state: job } of jobs.values()) {
    if (job.status === 'unregistered') continue;
    const rows = await trx
      .selectFrom('schedule')
      .select(['tenant_id', 'endpoint_id', 'state', 'state_version', 'stream_version', 'as_of'])
      .where('tenant_id', '=', job.tenantId)
      .where('job_id', '=', job.jobId)
      .execute();
    const holds = holdsOf(job);
    const updates = rows
      // A row of another state version is folded again when its stream next moves.
      .filter((row) => row.state_version === ENDPOINT_STATE_VERSION)
      .filter((row) => !written.has(endpointStream(row.tenant_id, row.endpoint_id)))
      .map((row) => {
        const state = row.state as EndpointState;
        const asOf = Math.max(new Date(row.as_of).getTime(), job.updatedAt);
        const view = scheduleOf(state, asOf, holds);
        return {
          tenant_id: row.tenant_id,
          endpoint_id: row.endpoint_id,
          stream_version: row.stream_version,
          next_run_at: toIso(view.dueAt),
          slot_at: toIso(view.slot),
          reason: view.reason,
        };
      });
    if (updates.length === 0) continue;
    await sql`
      update schedule s set next_run_at = u.next_run_at, slot_at = u.slot_at, reason = u.reason,
        holds = ${JSON.stringify(holds)}::jsonb, job_version = ${job.version}, claimed_until = null
      from jsonb_to_recordset(${JSON.stringify(updates)}::jsonb) as u(tenant_id text,
        endpoint_id text, stream_version int, next_run_at timestamptz, slot_at timestamptz,
        reason text)
      where s.tenant_id = u.tenant_id and s.endpoint_id = u.endpoint_id
        and s.stream_version = u.stream_version`.execute(trx);
  }
}
