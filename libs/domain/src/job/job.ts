import type { DecideContext, Decided, Decider } from '../decider.js';
import { differingPaths } from '../differences.js';
import { fail, ok, type Result } from '../errors.js';
import { makeEvent, type DomainEvent, type RecordedEvent } from '../events/event.js';
import type { Actor } from '../events/metadata.js';
import { checkPauseEnd } from '../endpoint/decide.js';
import {
  defaultPlannerSettings,
  type PlannerSettings,
  type PlannerSettingsInput,
} from '../planner/settings.js';
import { fromIso, toIso, type Millis } from '../time.js';
import { settlePlannerSettings } from './planner-settings.js';

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
  /** How the planner steers the job's endpoints (the defaults until a command sets them). */
  readonly planner: PlannerSettings;
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
  planner: defaultPlannerSettings,
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
      /** The job's planner settings; absent: the defaults. */
      readonly planner?: PlannerSettingsInput;
    }
  | {
      readonly type: 'UpdateJob';
      readonly name?: string;
      readonly description?: string;
      /** Laid over the job's planner settings: the fields it leaves out keep their value. */
      readonly planner?: PlannerSettingsInput;
    }
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
        planner: event.data.planner ?? defaultPlannerSettings,
        createdAt: recordedAt ?? 0,
        version,
      };
    case 'JobUpdated':
      return {
        ...state,
        name: event.data.name ?? state.name,
        description: event.data.description ?? state.description,
        planner: event.data.planner ?? state.planner,
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
    const planner = settlePlannerSettings(command.planner ?? {});
    if (!planner.ok) return planner;
    if (state.status !== 'unregistered') return recreate(command, planner.value, state);
    const { jobId, tenantId, name, description } = command;
    return ok([
      makeEvent(
        'JobCreated',
        {
          jobId,
          tenantId,
          name,
          ...(description === undefined ? {} : { description }),
          ...(command.planner === undefined ? {} : { planner: planner.value }),
        },
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
      const planner = plannerChange(command.planner, state.planner);
      if (!planner.ok) return planner;
      if (name === undefined && description === undefined && planner.value === undefined) {
        return ok([]);
      }
      return ok([
        makeEvent(
          'JobUpdated',
          {
            ...(name === undefined ? {} : { name }),
            ...(description === undefined ? {} : { description }),
            ...(planner.value === undefined ? {} : { planner: planner.value }),
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
 * The planner settings an update asks for laid over the job's, or undefined when that changes
 * nothing (so an update that changes nothing appends nothing for them).
 */
function plannerChange(
  input: PlannerSettingsInput | undefined,
  current: PlannerSettings,
): Result<PlannerSettings | undefined> {
  if (input === undefined) return ok(undefined);
  const next = settlePlannerSettings(input, current);
  if (!next.ok) return next;
  return ok(differingPaths(current, next.value).length === 0 ? undefined : next.value);
}

/**
 * A create of a job that exists: creation is idempotent per id, so a create asking for the job as
 * it is (same name; same description, absent meaning empty; same planner settings, absent meaning
 * the defaults) is already satisfied (no event). A different body, or a job since archived, is a
 * conflict naming what differs.
 */
function recreate(
  command: Extract<JobCommand, { type: 'CreateJob' }>,
  planner: PlannerSettings,
  state: JobState,
): Decided {
  if (state.status === 'archived') {
    return fail('conflict', `job ${state.jobId} already exists and is archived`);
  }
  const differs = differingPaths(
    { name: state.name, description: state.description, planner: state.planner },
    { name: command.name, description: command.description ?? '', planner },
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
export const JOB_STATE_VERSION = 3;

/** The job aggregate: one stream per job, `job-<tenant>.<id>`. */
export const jobDecider: Decider<JobState, JobCommand> = {
  name: 'job',
  stateVersion: JOB_STATE_VERSION,
  initialState: initialJobState,
  evolve: evolveJob,
  decide: decideJob,
};
