import {
  evolveJob,
  initialJobState,
  parseJobStream,
  type JobState,
  type RecordedEvent,
} from '@orrery/domain';

export interface FoldedJob {
  readonly state: JobState;
  /** Position of the job's first event (its creation), for stable list order. */
  readonly createdPosition: number | null;
}

/** Folds the job streams of a batch into job states (by stream id), starting from the loaded ones. */
export function foldJobs(
  loaded: ReadonlyMap<string, JobState>,
  events: readonly RecordedEvent[],
): Map<string, FoldedJob> {
  const jobs = new Map<string, FoldedJob>();
  for (const event of events) {
    if (parseJobStream(event.streamId) === null) continue;
    const { streamId } = event;
    const before = jobs.get(streamId)?.state ?? loaded.get(streamId) ?? initialJobState();
    if (event.streamVersion <= before.version) continue;
    const state = evolveJob(before, event);
    const createdPosition =
      jobs.get(streamId)?.createdPosition ?? (event.type === 'JobCreated' ? event.position : null);
    jobs.set(streamId, { state, createdPosition });
  }
  return jobs;
}
