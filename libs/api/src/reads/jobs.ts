import { jobDecider, jobStream, type JobState } from '@orrery/domain';
import type { ApiDeps } from '../deps.js';
import { ProblemError } from '../problem.js';
import { readStreamHead } from './stream-head.js';

/**
 * A job of the tenant as of the head of its stream (the read model's snapshot and the events
 * after it, in one statement: read-your-writes); null when the tenant has no job of this id.
 */
export async function jobState(
  deps: Pick<ApiDeps, 'pool'>,
  tenantId: string,
  jobId: string,
): Promise<JobState | null> {
  const { state } = await jobHead(deps, tenantId, jobId);
  return state.status === 'unregistered' ? null : state;
}

/** The job's stream head (see `readStreamHead`), unregistered when the tenant has none. */
export const jobHead = (deps: Pick<ApiDeps, 'pool'>, tenantId: string, jobId: string) =>
  readStreamHead(deps.pool, { table: 'jobs', id: 'job_id' }, jobDecider, {
    tenantId,
    id: jobId,
    streamId: jobStream(tenantId, jobId),
  });

/** {@link jobState}, or 404 when the tenant has no job of this id. */
export async function readJob(
  deps: Pick<ApiDeps, 'pool'>,
  tenantId: string,
  jobId: string,
): Promise<JobState> {
  const state = await jobState(deps, tenantId, jobId);
  if (!state) throw new ProblemError('not_found', `job ${jobId} not found`);
  return state;
}
