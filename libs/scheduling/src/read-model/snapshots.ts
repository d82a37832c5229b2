import {
  ENDPOINT_STATE_VERSION,
  JOB_STATE_VERSION,
  type EndpointState,
  type JobState,
} from '@orrery/domain';
import type { SchedulingDb } from '../db.js';

/**
 * An endpoint's state as the read model holds it, to start a command or a read from (the
 * events after its version are read from the log). Null when the projection has not seen the
 * endpoint, or holds a state of another schema version, which is never trusted.
 */
export async function endpointSnapshot(
  db: SchedulingDb,
  tenantId: string,
  endpointId: string,
): Promise<EndpointState | null> {
  const row = await db
    .selectFrom('schedule')
    .select(['state', 'stream_version', 'state_version'])
    .where('tenant_id', '=', tenantId)
    .where('endpoint_id', '=', endpointId)
    .executeTakeFirst();
  if (!row || row.state_version !== ENDPOINT_STATE_VERSION) return null;
  return { ...(row.state as EndpointState), version: row.stream_version };
}

/** A job's state as the read model holds it (see {@link endpointSnapshot}). */
export async function jobSnapshot(
  db: SchedulingDb,
  tenantId: string,
  jobId: string,
): Promise<JobState | null> {
  const row = await db
    .selectFrom('jobs')
    .select(['state', 'stream_version', 'state_version'])
    .where('tenant_id', '=', tenantId)
    .where('job_id', '=', jobId)
    .executeTakeFirst();
  if (!row || row.state_version !== JOB_STATE_VERSION) return null;
  return { ...(row.state as JobState), version: row.stream_version };
}
