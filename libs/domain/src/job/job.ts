import type { DecideContext, Decided, Decider } from '../decider.js';
import { differingPaths } from '../differences.js';
import { fail, ok } from '../errors.js';
import { makeEvent, type DomainEvent, type RecordedEvent } from '../events/event.js';
import type { Actor } from '../events/metadata.js';
import { checkPauseEnd } from '../endpoint/decide.js';
import { fromIso, toIso, type Millis } from '../time.js';

export interface JobState {
  readonly status: 'unregistered' | 'active' | 'archived';
  readonly jobId: string;
  readonly tenantId: string;
  readonly name: string;
  readonly description: string;
  /** Every endpoint of the job honours it (a hold on their schedule). */
  readonly pause: {
    readonly until: Millis | null;
    readonly reason: string;
    readonly actor: Actor;
  } | null;
  /** When the job was created (0 until its JobCreated is read back from the log). */
  readonly createdAt: Millis;
  /** When its last event was recorded (0 until read back from the log). */
  readonly updatedAt: Millis;
  readonly version: number;
}

export const initialJobState = (): JobState => ({
  status: 'unregistered',
  jobId: '',
  tenantId: '',
  name: '',
  description: '',
  pause: null,
  createdAt: 0,
  updatedAt: 0,
  version: 0,
});

export type JobCommand =
  | {
      readonly type: 'CreateJob';
      readonly jobId: string;
      readonly tenantId: string;
      readonly name: string;
      readonly description?: string;
    }
  | { readonly type: 'UpdateJob'; readonly name?: string; readonly description?: string }
  | { readonly type: 'ArchiveJob'; readonly reason?: string }
  | { readonly type: 'PauseJob'; readonly until: Millis | null; readonly reason?: string }
  | { readonly type: 'ResumeJob'; readonly reason?: string };

/** Folds one event of a job stream; `createdAt` comes from the log's recording time. */
export function evolveJob(state: JobState, event: DomainEvent | RecordedEvent): JobState {
  const recordedAt = 'recordedAt' in event ? fromIso(event.recordedAt) : undefined;
  return { ...applyJob(state, event, recordedAt), updatedAt: recordedAt ?? state.updatedAt };
}

function applyJob(state: JobState, event: DomainEvent, recordedAt: Millis | undefined): JobState {
  const version = state.version + 1;
  switch (event.type) {
    case 'JobCreated':
      return {
        ...state,
        status: 'active',
        jobId: event.data.jobId,
        tenantId: event.data.tenantId,
        name: event.data.name,
        description: event.data.description,
        createdAt: recordedAt ?? 0,
        version,
      };
    case 'JobUpdated':
      return {
        ...state,
        name: event.data.name ?? state.name,
        description: event.data.description ?? state.description,
        version,
      };
    case 'JobArchived':
      return { ...state, status: 'archived', version };
    case 'JobPaused':
      return {
        ...state,
        pause: {
          until: event.data.until === null ? null : fromIso(event.data.until),
          reason: event.data.reason,
          actor: event.metadata.actor,
        },
        version,
      };
    case 'JobResumed':
      return { ...state, pause: null, version };
    default:
      return { ...state, version };
  }
}

/**
 * Decides job commands. Pausing, resuming or archiving a job is one event on the job's stream;
 * every endpoint of the job takes the job's state as an input from that position on.
 */
export function decideJob(command: JobCommand, state: JobState, ctx: DecideContext): Decided {
  const { metadata } = ctx;
  if (command.type === 'CreateJob') {
    if (state.status !== 'unregistered') return recreate(command, state);
    const { jobId, tenantId, name, description } = command;
    return ok([
      makeEvent(
        'JobCreated',
        { jobId, tenantId, name, ...(description === undefined ? {} : { description }) },
        metadata,
      ),
    ]);
  }
  if (state.status === 'unregistered') return fail('not_found', 'job not found');
  if (state.status === 'archived') {
    return command.type === 'ArchiveJob'
      ? ok([])
      : fail('conflict', `job ${state.jobId} is archived`);
  }
  switch (command.type) {
    case 'UpdateJob': {
      const { name, description } = command;
      if (name === undefined && description === undefined) return ok([]);
      return ok([
        makeEvent(
          'JobUpdated',
          {
            ...(name === undefined ? {} : { name }),
            ...(description === undefined ? {} : { description }),
          },
          metadata,
        ),
      ]);
    }
    case 'ArchiveJob':
      return ok([makeEvent('JobArchived', { reason: command.reason ?? '' }, metadata)]);
    case 'PauseJob': {
      const refused = checkPauseEnd(command.until, ctx.now);
      if (refused) return refused;
      return ok([
        makeEvent(
          'JobPaused',
          {
            until: command.until === null ? null : toIso(command.until),
            reason: command.reason ?? '',
          },
          metadata,
        ),
      ]);
    }
    case 'ResumeJob':
      return state.pause === null
        ? ok([])
        : ok([makeEvent('JobResumed', { reason: command.reason ?? '' }, metadata)]);
  }
}

/**
 * A create of a job that exists: creation is idempotent per id, so a create asking for the job as
 * it is (same name; same description, absent meaning empty) is already satisfied (no event). A
 * different body, or a job since archived, is a conflict naming what differs.
 */
function recreate(command: Extract<JobCommand, { type: 'CreateJob' }>, state: JobState): Decided {
  if (state.status === 'archived') {
    return fail('conflict', `job ${state.jobId} already exists and is archived`);
  }
  const differs = differingPaths(
    { name: state.name, description: state.description },
    { name: command.name, description: command.description ?? '' },
  );
  if (differs.length === 0) return ok([]);
  return fail(
    'conflict',
    `job ${state.jobId} already exists with a different ${differs.join(', ')}`,
    {
      field: differs[0] ?? 'name',
      details: { differs },
    },
  );
}

/** Schema version of {@link JobState} (see {@link Decider.stateVersion}). */
export const JOB_STATE_VERSION = 2;

/** The job aggregate: one stream per job, `job-<tenant>.<id>`. */
export const jobDecider: Decider<JobState, JobCommand> = {
  name: 'job',
  stateVersion: JOB_STATE_VERSION,
  initialState: initialJobState,
  evolve: evolveJob,
  decide: decideJob,
};
