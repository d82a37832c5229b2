import { executeEndpointCommand } from '@orrery/scheduling';
import {
  foldJob,
  jobStream,
  type EndpointCommand,
  type EventMetadata,
  type EventStore,
  type JobState,
} from '@orrery/domain';
import type { ApiDeps } from '../deps.js';
import { fromDomainError, ProblemError } from '../problem.js';

/** A job of the tenant, folded from its stream (read-your-writes); another tenant's answers 404. */
export async function readJob(
  store: EventStore,
  tenantId: string,
  jobId: string,
): Promise<JobState> {
  const state = foldJob(await store.readStream(jobStream(jobId)));
  if (state.status === 'unregistered' || state.tenantId !== tenantId) {
    throw new ProblemError('not_found', `job ${jobId} not found`);
  }
  return state;
}

/**
 * Applies a command to every live endpoint of a job, as the read model lists
 * them. Each endpoint's command is its own append (decided on its own stream).
 */
export async function forEachEndpointOfJob(
  deps: Pick<ApiDeps, 'store' | 'db' | 'now'>,
  tenantId: string,
  jobId: string,
  command: EndpointCommand,
  metadata: EventMetadata,
): Promise<number> {
  const rows = await deps.db
    .selectFrom('schedule')
    .select('endpoint_id')
    .where('tenant_id', '=', tenantId)
    .where('job_id', '=', jobId)
    .where('status', '=', 'active')
    .execute();
  for (const { endpoint_id } of rows) {
    const outcome = await executeEndpointCommand(deps.store, endpoint_id, command, {
      now: deps.now,
      metadata,
    });
    if (!outcome.ok && outcome.error.code !== 'conflict') throw fromDomainError(outcome.error);
  }
  return rows.length;
}
