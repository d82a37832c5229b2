import { fail, ok, type Result } from '../errors.js';
import { makeEvent, type DomainEvent } from '../events/event.js';
import type { EventMetadata } from '../events/metadata.js';
import { checkPauseEnd } from '../endpoint/decide.js';
import { fromIso, toIso, type Millis } from '../time.js';

export interface JobState {
  readonly status: 'unregistered' | 'active' | 'archived';
  readonly jobId: string;
  readonly tenantId: string;
  readonly name: string;
  readonly description: string;
  readonly pause: { readonly until: Millis | null; readonly reason: string } | null;
  readonly createdAt: Millis;
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

export function evolveJob(state: JobState, event: DomainEvent, recordedAt?: Millis): JobState {
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
        },
        version,
      };
    case 'JobResumed':
      return { ...state, pause: null, version };
    default:
      return { ...state, version };
  }
}

export const foldJob = (events: readonly (DomainEvent & { recordedAt?: string })[]): JobState =>
  events.reduce(
    (state, event) =>
      evolveJob(state, event, event.recordedAt ? fromIso(event.recordedAt) : undefined),
    initialJobState(),
  );

/** Decides job commands. Pausing a job pauses its endpoints: the caller appends their Paused too. */
export function decideJob(
  command: JobCommand,
  state: JobState,
  ctx: { now: Millis; metadata: EventMetadata },
): Result<readonly DomainEvent[]> {
  const { metadata } = ctx;
  if (command.type === 'CreateJob') {
    if (state.status !== 'unregistered')
      return fail('conflict', `job ${state.jobId} already exists`);
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
