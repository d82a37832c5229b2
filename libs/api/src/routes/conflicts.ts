import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { listConflicts } from '../reads/conflicts.js';
import { page, problemResponses } from '../schemas/common.js';
import { ConflictSchema, ConflictsQuery } from '../schemas/conflicts.js';

/** Conflicts: the proposals the arbiter refused, with the rule and the decision they met. */
export const conflictRoutes: FastifyPluginAsyncZod = async (app) => {
  const { db } = app.deps;

  app.get(
    '/conflicts',
    {
      schema: {
        tags: ['conflicts'],
        operationId: 'listConflicts',
        summary: 'List refused proposals (newest first, cursor-paginated)',
        description:
          "Lists the proposals the arbiter refused for the tenant's endpoints — from users, " +
          'cascades, agents and planners — newest first: the rule and its detail, what was asked, the ' +
          "target's state the proposal met (its pause and hints, folded from the log just " +
          'before the refusal) and the decision that won. Filter by job, endpoint, rule, ' +
          'source and a time window (`since` must not be after `until`); a filter naming an ' +
          'id the tenant does not have lists nothing. The list follows the log through the ' +
          'projection, so a refusal shows once the projection has read it.',
        querystring: ConflictsQuery,
        response: { 200: page(ConflictSchema), ...problemResponses },
      },
    },
    async (request) => listConflicts(db, request.tenantId, request.query),
  );
};
