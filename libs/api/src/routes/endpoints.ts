import { randomUUID } from 'node:crypto';
import {
  EndpointConfig,
  endpointDecider,
  endpointStream,
  holdsOf,
  type EndpointConfigInput,
  type EndpointState,
} from '@orrery/domain';
import { REDACTED, SecretBox, sealHeaders } from '@orrery/secrets';
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { command } from '../commands/command.js';
import { ProblemError } from '../problem.js';
import {
  commandEndpoint,
  endpointContext,
  endpointView,
  parkedOf,
  readEndpoint,
} from '../reads/endpoints.js';
import { pageAfter } from '../schemas/common.js';
import { readJob } from '../reads/jobs.js';
import { encodeCursor, Id, page, problemResponses } from '../schemas/common.js';
import {
  EndpointCreateSchema,
  EndpointListQuery,
  EndpointParams,
  EndpointSchema,
  EndpointUpdateSchema,
  type EndpointUpdate,
} from '../schemas/endpoints.js';
import { JobParams, PauseSchema, ReasonSchema } from '../schemas/jobs.js';
import { actor } from './actor.js';
import { pauseEnd } from './pause-end.js';

type Headers = EndpointConfig['request']['headers'];

const invalid = (field: string, message: string) =>
  new ProblemError('validation', `${field}: ${message}`, [{ field, message }]);

/**
 * Headers as they go into the log: secret values sealed. A secret sent back as
 * "***" keeps the stored value of the same header; a value that looks sealed is
 * refused (only this API seals, so it can only be a copy or a mistake).
 */
function sealForLog(box: SecretBox, incoming: Headers, stored: Headers | null): Headers {
  const out: Headers = {};
  for (const [name, header] of Object.entries(incoming)) {
    const field = `body.request.headers.${name}.value`;
    if (SecretBox.isSealed(header.value)) throw invalid(field, 'must not start with enc:v1:');
    if (header.secret && header.value === REDACTED) {
      const kept = Object.entries(stored ?? {}).find(
        ([storedName, h]) => h.secret && storedName.toLowerCase() === name.toLowerCase(),
      );
      if (!kept) throw invalid(field, `"${REDACTED}" keeps a stored secret, and ${name} has none`);
      out[name] = kept[1];
    } else {
      out[name] = header;
    }
  }
  return sealHeaders(box, out);
}

/** The update merged over the current config, validated as a whole (paths name the body). */
function mergeConfig(current: EndpointConfig, patch: EndpointUpdate, headers: Headers | undefined) {
  const { request, backoff, maxIntervalMs, ...rest } = patch;
  const { body, headers: _headers, ...requestRest } = request ?? {};
  const { body: currentBody, ...currentRequest } = current.request;
  const { maxIntervalMs: currentMax, ...currentRest } = current;
  const nextBody = body === null ? undefined : (body ?? currentBody);
  const nextMax = maxIntervalMs === null ? undefined : (maxIntervalMs ?? currentMax);
  const merged: EndpointConfigInput = {
    ...currentRest,
    ...rest,
    request: {
      ...currentRequest,
      ...requestRest,
      headers: headers ?? current.request.headers,
      ...(nextBody === undefined ? {} : { body: nextBody }),
    },
    ...(nextMax === undefined ? {} : { maxIntervalMs: nextMax }),
    backoff: { ...current.backoff, ...backoff },
  };
  const parsed = EndpointConfig.safeParse(merged);
  if (parsed.success) return parsed.data;
  const issue = parsed.error.issues[0];
  throw invalid(['body', ...(issue?.path ?? [])].join('.'), issue?.message ?? 'invalid');
}

/** Endpoints: register in a job, list, get, update, pause/resume, archive. */
export const endpointsRoutes: FastifyPluginAsyncZod = async (app) => {
  const { deps } = app;
  const { store, db, now, secrets } = deps;
  const tags = ['endpoints'];
  const one = { params: EndpointParams, response: { 200: EndpointSchema, ...problemResponses } };
  /** The endpoint as answers show it: with its job's hold and its parked streams. */
  const show = async (state: EndpointState) =>
    endpointView(state, now(), await endpointContext(deps, state));

  app.post(
    '/jobs/:jobId/endpoints',
    {
      schema: {
        tags,
        operationId: 'createEndpoint',
        summary: 'Register an endpoint in a job (paused at once when the job is paused)',
        description:
          'Registers an HTTP request and its baseline schedule (a fixed interval or a cron ' +
          'expression) in an active job. `maxIntervalMs` must be at least `minIntervalMs`. ' +
          'Header values marked `secret` are stored encrypted and read back as "***".',
        params: JobParams,
        body: EndpointCreateSchema,
        response: { 201: EndpointSchema, ...problemResponses },
      },
    },
    async (request, reply) => {
      const { jobId } = request.params;
      const job = await readJob(deps, request.tenantId, jobId);
      if (job.status !== 'active') throw new ProblemError('conflict', `job ${jobId} is archived`);
      const { id, ...config } = request.body;
      const endpointId = id ?? randomUUID();
      const headers = sealForLog(secrets, config.request.headers, null);
      const metadata = actor(request);
      const stream = endpointStream(request.tenantId, endpointId);
      // A paused job holds its new endpoint too: the job's state is an input of its schedule.
      const { state } = await command(
        store,
        endpointDecider,
        stream,
        {
          type: 'Register',
          endpointId,
          jobId,
          tenantId: request.tenantId,
          config: { ...config, request: { ...config.request, headers } },
        },
        { now, metadata },
      );
      return reply
        .status(201)
        .send(endpointView(state, now(), { holds: holdsOf(job), parked: [] }));
    },
  );

  app.get(
    '/jobs/:jobId/endpoints',
    {
      schema: {
        tags,
        operationId: 'listEndpoints',
        summary: 'List the endpoints of a job (by id, cursor-paginated)',
        description:
          'Lists the endpoints of a job in id order, optionally only active or archived ones.',
        params: JobParams,
        querystring: EndpointListQuery,
        response: { 200: page(EndpointSchema), ...problemResponses },
      },
    },
    async (request) => {
      const { limit, cursor, status } = request.query;
      const job = await readJob(deps, request.tenantId, request.params.jobId);
      const after = pageAfter(cursor, Id);
      let query = db
        .selectFrom('schedule')
        .select(['endpoint_id', 'state'])
        .where('tenant_id', '=', request.tenantId)
        .where('job_id', '=', request.params.jobId)
        .orderBy('endpoint_id')
        .limit(limit + 1);
      if (after !== undefined) query = query.where('endpoint_id', '>', after);
      if (status) query = query.where('status', '=', status);
      const rows = await query.execute();
      const at = now();
      const last = rows[limit - 1];
      const page = rows.slice(0, limit);
      const holds = holdsOf(job);
      const parked = await parkedOf(
        db,
        page.map((row) => endpointStream(request.tenantId, row.endpoint_id)),
      );
      return {
        items: page.map((row) =>
          endpointView(row.state as EndpointState, at, {
            holds,
            parked: parked.get(endpointStream(request.tenantId, row.endpoint_id)) ?? [],
          }),
        ),
        nextCursor: rows.length > limit && last ? encodeCursor(last.endpoint_id) : null,
      };
    },
  );

  app.get(
    '/endpoints/:endpointId',
    {
      schema: {
        tags,
        operationId: 'getEndpoint',
        summary: 'Get an endpoint, its schedule and live hints',
        description:
          'Reads the config, the pause and hints in force, the next run time and its reason, ' +
          'the last run and the run in flight.',
        ...one,
      },
    },
    async (request) => show(await readEndpoint(deps, request.tenantId, request.params.endpointId)),
  );

  app.patch(
    '/endpoints/:endpointId',
    {
      schema: {
        tags,
        operationId: 'updateEndpoint',
        summary: 'Update an endpoint (merged over its config; "***" keeps a secret header)',
        description:
          'Merges the fields given over the current config and validates the result as a whole ' +
          '(so `maxIntervalMs` must still be at least `minIntervalMs`). `headers` replaces the ' +
          'whole map; `null` removes `maxIntervalMs` or `request.body`.',
        body: EndpointUpdateSchema,
        ...one,
      },
    },
    async (request) => {
      const patch = request.body;
      const { state } = await commandEndpoint(
        deps,
        request.tenantId,
        request.params.endpointId,
        (current) => {
          if (!current.config) throw new Error(`endpoint ${current.endpointId} has no config`);
          const incoming = patch.request?.headers;
          const headers = incoming && sealForLog(secrets, incoming, current.config.request.headers);
          return { type: 'Reconfigure', config: mergeConfig(current.config, patch, headers) };
        },
        actor(request),
      );
      return show(state);
    },
  );

  app.delete(
    '/endpoints/:endpointId',
    {
      schema: {
        tags,
        operationId: 'archiveEndpoint',
        summary: 'Archive an endpoint (it never runs again)',
        description:
          'Archives the endpoint: it is never dispatched again. Archiving twice is a no-op.',
        ...one,
      },
    },
    async (request) => {
      const { state } = await commandEndpoint(
        deps,
        request.tenantId,
        request.params.endpointId,
        { type: 'Archive', reason: 'archived by API' },
        actor(request),
      );
      return show(state);
    },
  );

  app.post(
    '/endpoints/:endpointId/pause',
    {
      schema: {
        tags,
        operationId: 'pauseEndpoint',
        summary: 'Pause an endpoint (pause wins over hints)',
        description:
          'Pauses until `until`, which must be in the future, or with `until: null` until ' +
          'resumed. While paused the endpoint does not run and accepts no planner hints.',
        body: PauseSchema,
        ...one,
      },
    },
    async (request) => {
      const until = pauseEnd(request.body.until, now());
      const { state } = await commandEndpoint(
        deps,
        request.tenantId,
        request.params.endpointId,
        { type: 'Pause', until, reason: request.body.reason ?? '' },
        actor(request),
      );
      return show(state);
    },
  );

  app.post(
    '/endpoints/:endpointId/resume',
    {
      schema: {
        tags,
        operationId: 'resumeEndpoint',
        summary: 'Resume a paused endpoint',
        description: 'Lifts the pause; resuming an endpoint that is not paused is a no-op.',
        body: ReasonSchema.nullish(),
        ...one,
      },
    },
    async (request) => {
      const { state } = await commandEndpoint(
        deps,
        request.tenantId,
        request.params.endpointId,
        { type: 'Resume', reason: request.body?.reason ?? '' },
        actor(request),
      );
      return show(state);
    },
  );
};
