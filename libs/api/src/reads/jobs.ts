import { foldWith, jobDecider, jobStream, type JobState } from '@orrery/domain';
import { jobSnapshot } from '@orrery/scheduling';
import type { ApiDeps } from '../deps.js';
import { ProblemError } from '../problem.js';

/**
 * A job of the tenant as of the head of its stream (the read model's snapshot and the events
 * after it: read-your-writes); null when the tenant has no job of this id.
 */
export async function jobState(
  deps: Pick<ApiDeps, 'store' | 'db'>,
  tenantId: string,
  jobId: string,
): Promise<JobState | null> {
  const from = (await jobSnapshot(deps.db, tenantId, jobId)) ?? jobDecider.initialState();
  const tail = await deps.store.readStream(jobStream(tenantId, jobId), {
    fromVersion: from.version + 1,
  });
  const state = foldWith(jobDecider, tail, from);
  return state.status === 'unregistered' ? null : state;
}

/** {@link jobState}, or 404 when the tenant has no job of this id. */
export async function readJob(
  deps: Pick<ApiDeps, 'store' | 'db'>,
  tenantId: string,
  jobId: string,
): Promise<JobState> {
  const state = await jobState(deps, tenantId, jobId);
  if (!state) throw new ProblemError('not_found', `job ${jobId} not found`);
  return state;
}
