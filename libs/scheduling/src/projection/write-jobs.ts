import { JOB_STATE_VERSION, jobStream, parseJobStream, type JobState } from '@orrery/domain';
import { sql, type Transaction } from 'kysely';
import type { SchedulingSchema } from '../read-model/schema.js';
import type { FoldedJob } from './fold-jobs.js';

type Trx = Transaction<SchedulingSchema>;

/**
 * The jobs' states as the read model holds them, by stream id; rows of another state schema
 * version are listed in `stale` (fold them again from the log).
 */
export async function loadJobStates(
  trx: Trx,
  streamIds: readonly string[],
): Promise<{ states: Map<string, JobState>; stale: string[] }> {
  const refs = streamIds.flatMap((id) => parseJobStream(id) ?? []);
  if (refs.length === 0) return { states: new Map(), stale: [] };
  const { rows } = await sql<{
    tenant_id: string;
    job_id: string;
    state: unknown;
    state_version: number;
  }>`
    select j.tenant_id, j.job_id, j.state, j.state_version
    from unnest(${refs.map((r) => r.tenantId)}::text[], ${refs.map((r) => r.id)}::text[]) as k(t, j)
    join jobs j on j.tenant_id = k.t and j.job_id = k.j`.execute(trx);
  const states = new Map<string, JobState>();
  const stale: string[] = [];
  for (const row of rows) {
    const streamId = jobStream(row.tenant_id, row.job_id);
    if (row.state_version === JOB_STATE_VERSION) states.set(streamId, row.state as JobState);
    else stale.push(streamId);
  }
  return { states, stale };
}

/** Upserts the jobs a batch touched (in the projection's transaction). */
export async function writeJobs(trx: Trx, jobs: ReadonlyMap<string, FoldedJob>): Promise<void> {
  const rows = [...jobs.values()]
    .filter(({ state }) => state.status !== 'unregistered')
    .map(({ state, createdPosition }) => ({
      job_id: state.jobId,
      tenant_id: state.tenantId,
      name: state.name,
      status: state.status as 'active' | 'archived',
      state: JSON.stringify(state),
      state_version: JOB_STATE_VERSION,
      stream_version: state.version,
      created_position: createdPosition ?? 0,
      planner: JSON.stringify(state.planner),
    }));
  if (rows.length === 0) return;
  await trx
    .insertInto('jobs')
    .values(rows)
    .onConflict((oc) =>
      oc.columns(['tenant_id', 'job_id']).doUpdateSet((eb) => ({
        name: eb.ref('excluded.name'),
        status: eb.ref('excluded.status'),
        state: eb.ref('excluded.state'),
        state_version: eb.ref('excluded.state_version'),
        stream_version: eb.ref('excluded.stream_version'),
        planner: eb.ref('excluded.planner'),
      })),
    )
    .execute();
}
