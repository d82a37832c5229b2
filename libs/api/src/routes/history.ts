import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { readHistory, type History } from '../reads/history.js';
import { problemResponses } from '../schemas/common.js';
import { EndpointParams } from '../schemas/endpoints.js';
import { HistoryQuery, HistorySchema } from '../schemas/history.js';
import { JobParams } from '../schemas/jobs.js';

const view = (history: History) => ({ ...history, entries: [...history.entries] });

/** Timelines of an endpoint or a job, each event in words (as `orrery history` prints them). */
export const historyRoutes: FastifyPluginAsyncZod = async (app) => {
  const { deps } = app;
  app.get(
    '/endpoints/:endpointId/history',
    {
      schema: {
        tags: ['events'],
        operationId: 'getEndpointHistory',
        summary: "An endpoint's timeline: its stream and its planner sessions, in words",
        description:
          'The latest `limit` events of the window, oldest first: runs with their reason, ' +
          'lateness and outcome; hints accepted, refused (rule, winner), expired and cleared; ' +
          'pauses, reconfigurations (the fields they changed), cascades and planner sessions.',
        params: EndpointParams,
        querystring: HistoryQuery,
        response: { 200: HistorySchema, ...problemResponses },
      },
    },
    async (request) =>
      view(
        await readHistory(
          deps.events,
          request.tenantId,
          `endpoint:${request.params.endpointId}`,
          request.query,
        ),
      ),
  );
  app.get(
    '/jobs/:jobId/history',
    {
      schema: {
        tags: ['events'],
        operationId: 'getJobHistory',
        summary: "A job's timeline: its stream and every endpoint's, in words",
        description:
          'As the endpoint timeline, over the job stream and the streams (and planner ' +
          'sessions) of every endpoint registered in the job.',
        params: JobParams,
        querystring: HistoryQuery,
        response: { 200: HistorySchema, ...problemResponses },
      },
    },
    async (request) =>
      view(
        await readHistory(
          deps.events,
          request.tenantId,
          `job:${request.params.jobId}`,
          request.query,
        ),
      ),
  );
};
