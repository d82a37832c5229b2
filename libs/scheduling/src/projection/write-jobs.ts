import type { JobState } from '@orrery/domain';
import type { Transaction } from 'kysely';
import type { SchedulingSchema } from '../read-model/schema.js';
import type { FoldedJob } from './fold-jobs.js';

type Trx = Transaction<SchedulingSchema>;

export async function loadJobStates(
  trx: Trx,
  jobIds: readonly string[],
): Promise<Map<string, JobState>> {
  if (jobIds.length === 0) return new Map();
  const rows = await trx
    .selectFrom('jobs')
    .select(['job_id', 'state'])
    .where('job_id', 'in', jobIds)
    .execute();
  return new Map(rows.map((row) => [row.job_id, row.state as JobState]));
}

/** Upserts the jobs a batch touched (in the projection's transaction). */
export async function writeJobs(trx: Trx, jobs: ReadonlyMap<string, FoldedJob>): Promise<void> {
  const rows = [...jobs.entries()]
    .filter(([, { state }]) => state.status !== 'unregistered')
    .map(([jobId, { state, createdPosition }]) => ({
      job_id: jobId,
      tenant_id: state.tenantId,
      name: state.name,
      status: state.status as 'active' | 'archived',
      state: JSON.stringify(state),
      stream_version: state.version,
      created_position: createdPosition ?? 0,
    }));
  if (rows.length === 0) return;
  await trx
    .insertInto('jobs')
    .values(rows)
    .onConflict((oc) =>
      oc.column('job_id').doUpdateSet((eb) => ({
        name: eb.ref('excluded.name'),
        status: eb.ref('excluded.status'),
        state: eb.ref('excluded.state'),
        stream_version: eb.ref('excluded.stream_version'),
      })),
    )
    .execute();
}
