import {
  endpointDecider,
  endpointStream,
  foldWith,
  jobDecider,
  jobStream,
  type EndpointCommand,
  type EventMetadata,
  type JobState,
} from '@orrery/domain';
import { handleCommand } from '@orrery/event-store';
import { endpointSnapshot, jobSnapshot } from '@orrery/scheduling';
import type { ApiDeps } from '../deps.js';
import { fromDomainError, ProblemError } from '../problem.js';

/**
 * A job of the tenant as of the head of its stream (the read model's snapshot and the events
 * after it: read-your-writes). 404 when the tenant has no job of this id.
 */
export async function readJob(
  deps: Pick<ApiDeps, 'store' | 'db'>,
  tenantId: string,
  jobId: string,
): Promise<JobState> {
  const from = (await jobSnapshot(deps.db, tenantId, jobId)) ?? jobDecider.initialState();
  const tail = await deps.store.readStream(jobStream(tenantId, jobId), {
    fromVersion: from.version + 1,
  });
  const state = foldWith(jobDecider, tail, from);
  if (state.status === 'unregistered')
    throw new ProblemError('not_found', `job ${jobId} not found`);
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
    const outcome = await handleCommand(
      deps.store,
      endpointDecider,
      endpointStream(tenantId, endpoint_id),
      command,
      {
        now: deps.now,
        metadata,
        snapshot: () => endpointSnapshot(deps.db, tenantId, endpoint_id),
      },
    );
    if (!outcome.ok && outcome.error.code !== 'conflict') throw fromDomainError(outcome.error);
  }
  return rows.length;
}
