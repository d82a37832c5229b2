import { randomUUID } from 'node:crypto';
import { jobDecider, jobStream, toIso, type JobCommand } from '@orrery/domain';
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { command as runCommand } from '../commands/command.js';
import { readJobPage, type ShownJobState } from '../reads/job-page.js';
import { jobHead, readJob } from '../reads/jobs.js';
import {
  encodeCursor,
  described,
  pageAfter,
  page,
  PageQuery,
  problemAnswer,
  problemResponses,
} from '../schemas/common.js';
import {
  JobCreateSchema,
  JobParams,
  JobSchema,
  JobUpdateSchema,
  PauseSchema,
  ReasonSchema,
  type JobView,
} from '../schemas/jobs.js';
import { actor } from './actor.js';
import { pauseEnd } from './pause-end.js';

/** A page's cursor: the position of the last job's JobCreated (built once, not per request). */
const JobCursor = z.number().int();

export const jobView = (state: ShownJobState): JobView => ({
  id: state.jobId,
  name: state.name,
  description: state.description,
  status: state.status === 'archived' ? 'archived' : 'active',
  paused: state.pause && {
    until: state.pause.until === null ? null : toIso(state.pause.until),
    reason: state.pause.reason,
  },
  createdAt: state.createdAt > 0 ? toIso(state.createdAt) : null,
  planner: state.planner,
});

/** Jobs: create, list, get, update, pause/resume (all endpoints), archive. */
export const jobRoutes: FastifyPluginAsyncZod = async (app) => {
  const { store, now } = app.deps;
  const command = (
    tenantId: string,
    jobId: string,
    cmd: JobCommand,
    metadata: ReturnType<typeof actor>,
  ) =>
    runCommand(
      store,
      jobDecider,
      jobStream(tenantId, jobId),
      cmd,
      {
        now,
        metadata,
        // The job at the head of its stream (its snapshot and the events after it, in one
        // statement): the command is decided on it and appended at its version, and the stream
        // is read again only if another writer moved it meanwhile.
        snapshot: async () => (await jobHead(app.deps, tenantId, jobId)).state,
        readTail: 'on-conflict',
      },
      (field) => `body.${field}`,
    );

  app.post(
    '/jobs',
    {
      schema: {
        tags: ['jobs'],
        operationId: 'createJob',
        summary: 'Create a job',
        description:
          'Creates an empty job; endpoints are registered in it afterwards. Creating is ' +
          'idempotent per client-chosen `id`: when the job exists with the same name and ' +
          'description (an absent description is empty) and planner settings (absent ones are ' +
          'the defaults), the answer is 200 with the job as it is and nothing changes; a ' +
          'different body, or an archived job, answers 409 naming the fields that differ.',
        body: JobCreateSchema,
        response: {
          201: described(JobSchema, 'The job was created'),
          200: described(JobSchema, 'A job of this id already existed as asked: it is unchanged'),
          ...problemResponses,
          409: problemAnswer(
            'A job of this id exists with another name, description or planner settings, or ' +
              'is archived',
          ),
        },
      },
    },
    async (request, reply) => {
      const jobId = request.body.id ?? randomUUID();
      const { state, events } = await command(
        request.tenantId,
        jobId,
        {
          type: 'CreateJob',
          jobId,
          tenantId: request.tenantId,
          name: request.body.name,
          ...(request.body.description === undefined
            ? {}
            : { description: request.body.description }),
          ...(request.body.planner === undefined ? {} : { planner: request.body.planner }),
        },
        actor(request),
      );
      return reply
        .status(events.length > 0 ? 201 : 200)
        .send(jobView({ ...state, createdAt: state.createdAt || now() }));
    },
  );

  app.get(
    '/jobs',
    {
      schema: {
        tags: ['jobs'],
        operationId: 'listJobs',
        summary: 'List jobs (oldest first, cursor-paginated)',
        description:
          "Lists the tenant's jobs in creation order, optionally only active or archived ones.",
        querystring: PageQuery.extend({ status: z.enum(['active', 'archived']).optional() }),
        response: { 200: page(JobSchema), ...problemResponses },
      },
    },
    async (request) => {
      const { limit, cursor, status } = request.query;
      const after = pageAfter(cursor, JobCursor);
      const rows = await readJobPage(app.deps.pool, request.tenantId, {
        after,
        status,
        limit: limit + 1,
      });
      const last = rows[limit - 1];
      return {
        items: rows.slice(0, limit).map((row) => jobView(row.state)),
        nextCursor: rows.length > limit && last ? encodeCursor(last.position) : null,
      };
    },
  );

  app.get(
    '/jobs/:jobId',
    {
      schema: {
        tags: ['jobs'],
        operationId: 'getJob',
        summary: 'Get a job',
        description: 'Reads a job, its status and the pause in force.',
        params: JobParams,
        response: { 200: JobSchema, ...problemResponses },
      },
    },
    async (request) => jobView(await readJob(app.deps, request.tenantId, request.params.jobId)),
  );

  app.patch(
    '/jobs/:jobId',
    {
      schema: {
        tags: ['jobs'],
        operationId: 'updateJob',
        summary: 'Update a job',
        description:
          'Changes the name, the description or the planner settings; omitted fields keep ' +
          'their value, in `planner` too (`{"planner": {"enabled": false}}` changes only that; ' +
          'settings that change nothing record nothing).',
        params: JobParams,
        body: JobUpdateSchema,
        response: { 200: JobSchema, ...problemResponses },
      },
    },
    async (request) => {
      const { name, description, planner } = request.body;
      await command(
        request.tenantId,
        request.params.jobId,
        {
          type: 'UpdateJob',
          ...(name === undefined ? {} : { name }),
          ...(description === undefined ? {} : { description }),
          ...(planner === undefined ? {} : { planner }),
        },
        actor(request),
      );
      return jobView(await readJob(app.deps, request.tenantId, request.params.jobId));
    },
  );

  app.post(
    '/jobs/:jobId/pause',
    {
      schema: {
        tags: ['jobs'],
        operationId: 'pauseJob',
        summary: 'Pause a job and every endpoint in it',
        description:
          'Pauses until `until` (which must be in the future) or, with `until: null`, until ' +
          'resumed. One event on the job: every endpoint of the job — registered later too — ' +
          'holds from then on (its `job.paused`, and the next run as `job_paused`). A pause ' +
          'wins over every hint.',
        params: JobParams,
        body: PauseSchema,
        response: { 200: JobSchema, ...problemResponses },
      },
    },
    async (request) => {
      const until = pauseEnd(request.body.until, now());
      const reason = request.body.reason ?? `job ${request.params.jobId} paused`;
      await command(
        request.tenantId,
        request.params.jobId,
        { type: 'PauseJob', until, reason },
        actor(request),
      );
      return jobView(await readJob(app.deps, request.tenantId, request.params.jobId));
    },
  );

  app.post(
    '/jobs/:jobId/resume',
    {
      schema: {
        tags: ['jobs'],
        operationId: 'resumeJob',
        summary: 'Resume a job and every endpoint in it',
        description:
          "Lifts the job's pause from all its endpoints (their own pauses stay); resuming a " +
          'running job is a no-op.',
        params: JobParams,
        body: ReasonSchema.nullish(),
        response: { 200: JobSchema, ...problemResponses },
      },
    },
    async (request) => {
      const reason = request.body?.reason ?? '';
      await command(
        request.tenantId,
        request.params.jobId,
        { type: 'ResumeJob', reason },
        actor(request),
      );
      return jobView(await readJob(app.deps, request.tenantId, request.params.jobId));
    },
  );

  app.delete(
    '/jobs/:jobId',
    {
      schema: {
        tags: ['jobs'],
        operationId: 'archiveJob',
        summary: 'Archive a job and every endpoint in it',
        description:
          'Archives the job: its endpoints never run again (`job.archived`, next run ' +
          '`job_archived`). Archiving twice is a no-op; an archived job refuses every other ' +
          'change with 409.',
        params: JobParams,
        response: { 200: JobSchema, ...problemResponses },
      },
    },
    async (request) => {
      await command(
        request.tenantId,
        request.params.jobId,
        { type: 'ArchiveJob', reason: 'archived by API' },
        actor(request),
      );
      return jobView(await readJob(app.deps, request.tenantId, request.params.jobId));
    },
  );
};
