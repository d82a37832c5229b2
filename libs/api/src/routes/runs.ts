import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { assertEndpointOfTenant } from '../reads/endpoints.js';
import { readJob } from '../reads/jobs.js';
import { listRuns, readRun } from '../reads/runs.js';
import { page, problemResponses } from '../schemas/common.js';
import { EndpointParams } from '../schemas/endpoints.js';
import { JobParams } from '../schemas/jobs.js';
import { RunDetailSchema, RunParams, RunSchema, RunsQuery } from '../schemas/runs.js';

/** Runs: per endpoint, per job (newest first), and one run with its response. */
export const runsRoutes: FastifyPluginAsyncZod = async (app) => {
  const { deps } = app;
  const tags = ['runs'];
  const list = { querystring: RunsQuery, response: { 200: page(RunSchema), ...problemResponses } };

  app.get(
    '/endpoints/:endpointId/runs',
    {
      schema: {
        tags,
        operationId: 'listEndpointRuns',
        summary: 'List the runs of an endpoint (newest first, cursor-paginated)',
        description:
          'Lists the runs of one endpoint, test runs included, optionally by status or outcome ' +
          '(e.g. `?outcome=http_error` for the runs the target answered with an error status).',
        params: EndpointParams,
        ...list,
      },
    },
    async (request) => {
      const { endpointId } = request.params;
      await assertEndpointOfTenant(deps, request.tenantId, endpointId);
      return listRuns(deps.db, request.tenantId, { endpointId }, request.query);
    },
  );

  app.get(
    '/jobs/:jobId/runs',
    {
      schema: {
        tags,
        operationId: 'listJobRuns',
        summary: 'List the runs of every endpoint of a job (newest first, cursor-paginated)',
        description: 'Lists the runs of all endpoints of one job, optionally by status or outcome.',
        params: JobParams,
        ...list,
      },
    },
    async (request) => {
      const { jobId } = request.params;
      await readJob(deps, request.tenantId, jobId);
      return listRuns(deps.db, request.tenantId, { jobId }, request.query);
    },
  );

  app.get(
    '/runs/:runId',
    {
      schema: {
        tags,
        operationId: 'getRun',
        summary: 'Get a run and its recorded response',
        description:
          'Reads one run: when it was due and dispatched, how late, and the response (status, ' +
          'headers subset, body up to the size cap) once recorded.',
        params: RunParams,
        response: { 200: RunDetailSchema, ...problemResponses },
      },
    },
    async (request) => readRun(deps, request.tenantId, request.params.runId),
  );
};
