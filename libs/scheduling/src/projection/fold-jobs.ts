import {
  evolveJob,
  fromIso,
  initialJobState,
  jobIdOf,
  type JobState,
  type RecordedEvent,
} from '@orrery/domain';

export interface FoldedJob {
  readonly state: JobState;
  /** Position of the job's first event (its creation), for stable list order. */
  readonly createdPosition: number | null;
}

/** Folds the job streams of a batch into job states, starting from the loaded ones. */
export function foldJobs(
  loaded: ReadonlyMap<string, JobState>,
  events: readonly RecordedEvent[],
): Map<string, FoldedJob> {
  const jobs = new Map<string, FoldedJob>();
  for (const event of events) {
    const jobId = jobIdOf(event.streamId);
    if (jobId === null) continue;
    const before = jobs.get(jobId)?.state ?? loaded.get(jobId) ?? initialJobState();
    if (event.streamVersion <= before.version) continue;
    const state = evolveJob(before, event, fromIso(event.recordedAt));
    const createdPosition =
      jobs.get(jobId)?.createdPosition ?? (event.type === 'JobCreated' ? event.position : null);
    jobs.set(jobId, { state, createdPosition });
  }
  return jobs;
}
