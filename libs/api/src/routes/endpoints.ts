import { randomUUID } from 'node:crypto';
import {
  endpointDecider,
  endpointStream,
  holdsOf,
  type AppendRequest,
  type EndpointCommand,
  type EndpointState,
} from '@orrery/domain';
import type { FastifyRequest } from 'fastify';
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { command } from '../commands/command.js';
import {
  CompanionMoved,
  type Companion,
  type GraphChange,
} from '../dependencies/graph-commands.js';
import {
  applyEndpointEdges,
  checkEndpointEdges,
  edgesOf,
  type DependsOn,
} from '../dependencies/depends-on.js';
import { ProblemError } from '../problem.js';
import {
  commandEndpoint,
  endpointView,
  parkedOf,
  readEndpoint,
  readEndpointHead,
  readEndpointInContext,
} from '../reads/endpoints.js';
import { jobState, readJob } from '../reads/jobs.js';
import {
  described,
  encodeCursor,
  Id,
  page,
  pageAfter,
  problemAnswer,
  problemResponses,
} from '../schemas/common.js';
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
import { mergeConfig, sealForCreate, sealForLog } from './endpoint-config.js';
import { pauseEnd } from './pause-end.js';

/** Endpoints: register in a job, list, get, update, pause/resume, archive. */
export const endpointsRoutes: FastifyPluginAsyncZod = async (app) => {
  const { deps } = app;
  const { store, db, now, secrets } = deps;
  const tags = ['endpoints'];
  const one = { params: EndpointParams, response: { 200: EndpointSchema, ...problemResponses } };
  /** An update's `dependsOn`, applied before its config (checked against the merged config). */
  const replaceEdges = async (
    tenantId: string,
    endpointId: string,
    dependsOn: NonNullable<EndpointUpdate['dependsOn']>,
    patch: EndpointUpdate,
    request: FastifyRequest,
  ) => {
    const current = await readEndpoint(deps, tenantId, endpointId);
    if (current.status !== 'active' || !current.config) {
      throw new ProblemError('conflict', `endpoint ${endpointId} is archived`);
    }
    if ((await jobState(deps, tenantId, current.jobId))?.status === 'archived') {
      throw new ProblemError('conflict', `the job of endpoint ${endpointId} is archived`);
    }
    const incoming = patch.request?.headers;
    const headers = incoming && sealForLog(secrets, incoming, current.config.request.headers);
    const config = mergeConfig(current.config, patch, headers);
    const edges = edgesOf(endpointId, dependsOn);
    const metadata = actor(request);
    await applyEndpointEdges(
      { deps, tenantId, endpointId, edges, config, metadata },
      'replaced by an update',
    );
  };

  app.post(
    '/jobs/:jobId/endpoints',
    {
      schema: {
        tags,
        operationId: 'createEndpoint',
        summary: 'Register an endpoint in a job (held at once when the job is paused)',
        description:
          'Registers an HTTP request and its baseline schedule in an active job: a fixed ' +
          'interval, a cron expression, or `none` (trigger-only: it runs only when asked — run ' +
          'now, hints — and at most `maxIntervalMs` apart when set). `start` says when it ' +
          'first runs: `next_slot` (default: one interval after registration, or the next cron ' +
          'occurrence), `immediately`, or `at` a time within 100 years. ' +
          '`maxIntervalMs` must be at least `minIntervalMs`. ' +
          'Header values marked `secret` are stored encrypted and read back as "***".\n\n' +
          'Registering is idempotent per client-chosen `id`: when the endpoint exists in this ' +
          'job with the same config (defaults applied, key order ignored; a secret header ' +
          'compared by its value), the answer is 200 with the endpoint as it is and nothing ' +
          'changes. Another config or job, or an archived endpoint, answers 409 naming the ' +
          'fields that differ.\n\n' +
          '`dependsOn` declares its incoming edges (see `createDependency`), checked before ' +
          'anything is registered: an unknown upstream answers 404, an edge that would close a ' +
          'cycle or whose condition does not compile 422, and nothing is registered. The list is ' +
          "the endpoint's whole set of incoming edges (a retried create declares those missing).",
        params: JobParams,
        body: EndpointCreateSchema,
        response: {
          201: described(EndpointSchema, 'The endpoint was registered'),
          200: described(
            EndpointSchema,
            'An endpoint of this id was already registered as asked: it is unchanged',
          ),
          ...problemResponses,
          409: problemAnswer(
            'The job is archived, or an endpoint of this id exists with another config or job, ' +
              'or is archived',
          ),
          422: problemAnswer('An edge of `dependsOn` cannot be declared (a cycle, a condition)'),
        },
      },
    },
    async (request, reply) => {
      const { jobId } = request.params;
      const { tenantId } = request;
      const job = await readJob(deps, tenantId, jobId);
      if (job.status !== 'active') throw new ProblemError('conflict', `job ${jobId} is archived`);
      const { id, dependsOn, ...config } = request.body;
      const endpointId = id ?? randomUUID();
      const stream = endpointStream(tenantId, endpointId);
      const options = { now, metadata: actor(request) };
      const edges: DependsOn | null = dependsOn
        ? {
            deps,
            tenantId,
            endpointId,
            edges: edgesOf(endpointId, dependsOn),
            config,
            metadata: options.metadata,
          }
        : null;
      if (edges) await checkEndpointEdges(edges);
      // With edges, the registration is appended in the graph decision's transaction: a gated
      // endpoint that starts at once must never run before its gate exists.
      let declared: GraphChange | undefined;
      const registerWithEdges = (withEdges: DependsOn) => async (request: AppendRequest) => {
        const companion: Companion = { request };
        try {
          declared = await applyEndpointEdges(withEdges, 'replaced by a create', companion);
        } catch (error) {
          if (error instanceof CompanionMoved) return error.conflict; // decided again
          throw error;
        }
        if (companion.outcome) return companion.outcome;
        // The graph already held these edges (nothing appended with them): register alone.
        const [outcome] = await store.appendEach([request]);
        if (!outcome) throw new Error('appendEach returned no outcome for one request');
        return outcome;
      };
      const registered = await command(
        store,
        endpointDecider,
        stream,
        (existing: EndpointState): EndpointCommand => ({
          type: 'Register',
          endpointId,
          jobId,
          tenantId,
          config: {
            ...config,
            request: {
              ...config.request,
              headers: sealForCreate(secrets, config.request.headers, existing),
            },
          },
        }),
        {
          ...options,
          // The endpoint's head in one statement (none yet, for a new id), appended at its
          // version; the stream is read again only if another writer moved it meanwhile.
          snapshot: async () => (await readEndpointHead(deps, tenantId, endpointId)).state,
          readTail: 'on-conflict',
          ...(edges ? { append: registerWithEdges(edges) } : {}),
        },
        (path) => (path === 'jobId' ? 'params.jobId' : path.replace(/^config\b/, 'body')),
      );
      // A paused job holds its new endpoint too: the job's state is an input of its schedule.
      const created = registered.events.length > 0;
      // Already registered as asked (nothing appended): a retried create declares what is missing.
      if (edges && !created) declared = await applyEndpointEdges(edges, 'replaced by a create');
      const state =
        declared && declared.events.length > 0
          ? await readEndpoint(deps, tenantId, endpointId)
          : registered.state;
      // The job's hold as read before the registration (which does not change the job).
      const parked = (await parkedOf(db, [stream])).get(stream) ?? [];
      const view = endpointView(state, now(), { holds: holdsOf(job), parked });
      return reply.status(created ? 201 : 200).send(view);
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
    async (request) => {
      const { tenantId, params } = request;
      const { state, context } = await readEndpointInContext(deps, tenantId, params.endpointId);
      return endpointView(state, now(), context);
    },
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
          'whole map; `null` removes `maxIntervalMs` or `request.body`.\n\n' +
          '`dependsOn`, when given, becomes the whole set of incoming edges: new and changed ' +
          'edges are declared, edges not listed removed, in one atomic change (404 for an ' +
          'unknown upstream, 422 for an edge that would close a cycle or does not compile).',
        body: EndpointUpdateSchema,
        params: EndpointParams,
        response: {
          200: EndpointSchema,
          ...problemResponses,
          422: problemAnswer('An edge of `dependsOn` cannot be declared (a cycle, a condition)'),
        },
      },
    },
    async (request) => {
      const { dependsOn, ...patch } = request.body;
      if (dependsOn) {
        await replaceEdges(request.tenantId, request.params.endpointId, dependsOn, patch, request);
      }
      const { state, context } = await commandEndpoint(
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
      return endpointView(state, now(), context);
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
      const { state, context } = await commandEndpoint(
        deps,
        request.tenantId,
        request.params.endpointId,
        { type: 'Archive', reason: 'archived by API' },
        actor(request),
      );
      return endpointView(state, now(), context);
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
      const { state, context } = await commandEndpoint(
        deps,
        request.tenantId,
        request.params.endpointId,
        { type: 'Pause', until, reason: request.body.reason ?? '' },
        actor(request),
      );
      return endpointView(state, now(), context);
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
      const { state, context } = await commandEndpoint(
        deps,
        request.tenantId,
        request.params.endpointId,
        { type: 'Resume', reason: request.body?.reason ?? '' },
        actor(request),
      );
      return endpointView(state, now(), context);
    },
  );
};
