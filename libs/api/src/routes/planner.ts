import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { listPlannerSessions, readPlannerSession } from '../reads/planner-sessions.js';
import { page, problemResponses } from '../schemas/common.js';
import {
  PlannerSessionParams,
  PlannerSessionSchema,
  PlannerSessionsQuery,
  PlannerSessionSummarySchema,
} from '../schemas/planner-sessions.js';

/** Planner sessions: what each analysis saw, reasoned and proposed, and what became of it. */
export const plannerRoutes: FastifyPluginAsyncZod = async (app) => {
  const { db } = app.deps;
  const tags = ['planner'];

  app.get(
    '/planner/sessions',
    {
      schema: {
        tags,
        operationId: 'listPlannerSessions',
        summary: 'List planner sessions (newest first, cursor-paginated)',
        description:
          "Lists the planner's analyses of the tenant's endpoints, newest first, summarised: " +
          'the planner and model, how the session ended, how many proposals it made and how ' +
          'many the arbiter accepted and refused, and the tokens spent. Filter by job, ' +
          'endpoint, outcome and a window on the start (`since` must not be after `until`). ' +
          'The list follows the log through the projection.',
        querystring: PlannerSessionsQuery,
        response: { 200: page(PlannerSessionSummarySchema), ...problemResponses },
      },
    },
    async (request) => listPlannerSessions(db, request.tenantId, request.query),
  );

  app.get(
    '/planner/sessions/:sessionId',
    {
      schema: {
        tags,
        operationId: 'getPlannerSession',
        summary: 'Get a planner session, whole',
        description:
          'Reads one planner session as recorded: the response that started it, the log ' +
          'position its context was read at, its reasoning, its tool calls, its token usage, ' +
          'and each proposal with its outcome (the rule and detail of a refusal).',
        params: PlannerSessionParams,
        response: { 200: PlannerSessionSchema, ...problemResponses },
      },
    },
    async (request) => readPlannerSession(db, request.tenantId, request.params.sessionId),
  );
};
