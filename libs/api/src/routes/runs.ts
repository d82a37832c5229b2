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
        summary: 'List the runs of an endpoint (newest first, cursor-paginated)',
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
        summary: 'List the runs of every endpoint of a job (newest first, cursor-paginated)',
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
        summary: 'Get a run and its recorded response',
        params: RunParams,
        response: { 200: RunDetailSchema, ...problemResponses },
      },
    },
    async (request) => readRun(deps, request.tenantId, request.params.runId),
  );
};
