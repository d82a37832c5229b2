import type { Actor } from '../events/metadata.js';
import type { JobState } from '../job/job.js';
import type { Millis } from '../time.js';

/**
 * What an endpoint's schedule takes from the streams above it: its job's state (paused,
 * archived) and its tenant's (disabled). One event on the job's or the tenant's stream holds
 * every endpoint under it — new endpoints too — without a loop over them. A job hold's
 * `version` is the job stream's version it was read at: a dispatch decided under it is appended
 * only if the job stream is still there.
 */
export interface Holds {
  readonly job: JobHold | null;
  /** Absent or null: the tenant is enabled. */
  readonly tenant?: TenantHold | null;
}

/** A disabled tenant: none of its endpoints runs. */
export interface TenantHold {
  readonly tenantId: string;
  readonly disabled: { readonly reason: string; readonly actor: Actor } | null;
}

export interface JobHold {
  readonly jobId: string;
  readonly version: number;
  readonly archived: boolean;
  /** `until: null` holds until the job is resumed. */
  readonly pause: {
    readonly until: Millis | null;
    readonly reason: string;
    readonly actor: Actor;
  } | null;
}

/** No hold: an endpoint on its own (a job not found, tests of the endpoint alone). */
export const NO_HOLDS: Holds = { job: null };

/** The hold a job's (and a tenant's) state puts on their endpoints. */
export const holdsOf = (job: JobState | null, tenant: TenantHold | null = null): Holds => ({
  ...(tenant === null ? {} : { tenant }),
  job:
    job === null || job.status === 'unregistered'
      ? null
      : {
          jobId: job.jobId,
          version: job.version,
          archived: job.status === 'archived',
          pause: job.pause,
        },
});

/** The job's pause, when it is in force at `now` (a pause whose end has passed has lapsed). */
export const jobPauseAt = (holds: Holds, now: Millis): JobHold['pause'] => {
  const pause = holds.job?.pause ?? null;
  return pause !== null && (pause.until === null || pause.until > now) ? pause : null;
};
