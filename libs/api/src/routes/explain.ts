import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { explainEndpoint } from '../reads/explain.js';
import { problemResponses } from '../schemas/common.js';
import { ExplainParams, ExplainQuery, ExplanationSchema } from '../schemas/explain.js';

/** Why an endpoint runs when it does, now or at any earlier point of the log. */
export const explainRoutes: FastifyPluginAsyncZod = async (app) => {
  app.get(
    '/endpoints/:endpointId/explain',
    {
      schema: {
        tags: ['endpoints'],
        operationId: 'explainEndpoint',
        summary: "Explain the governor's decision for the endpoint's next run",
        description:
          'The next run time, its reason and every input the governor used (pause, baseline, ' +
          'backoff, hints, clamp, jitter, the run in flight), with the recent dispatches and ' +
          'hint events. `at` replays the log up to a position or an instant.',
        params: ExplainParams,
        querystring: ExplainQuery,
        response: { 200: ExplanationSchema, ...problemResponses },
      },
    },
    async (request) =>
      explainEndpoint(app.deps, request.tenantId, request.params.endpointId, request.query),
  );
};
