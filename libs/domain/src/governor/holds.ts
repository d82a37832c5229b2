import type { Actor } from '../events/metadata.js';
import type { JobState } from '../job/job.js';
import type { Millis } from '../time.js';

/**
 * What an endpoint's schedule takes from the streams above it: its job's state (paused,
 * archived), and later its tenant's. One event on the job's stream holds every endpoint of the
 * job from that position on — new endpoints too — without a loop over them. `version` is the
 * job stream's version the hold was read at: a dispatch decided under it is appended only if
 * the job stream is still there.
 */
export interface Holds {
  readonly job: JobHold | null;
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

/** The hold a job's state puts on its endpoints. */
export const holdsOf = (job: JobState | null): Holds => ({
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
