import { edgeOf } from '@orrery/domain';
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { dependencyView } from '../dependencies/edge-state.js';
import { declareDependencies, removeDependencies } from '../dependencies/graph-commands.js';
import { graphViewAt } from '../dependencies/graph-at.js';
import { graphView, listDependencies, readDependency } from '../dependencies/graph-reads.js';
import {
  described,
  encodeCursor,
  page,
  pageAfter,
  problemAnswer,
  problemResponses,
} from '../schemas/common.js';
import {
  DependencyCreateSchema,
  DependencyListQuery,
  DependencySchema,
  EdgeId,
  EdgeParams,
  GraphQuery,
  GraphSchema,
} from '../schemas/dependencies.js';
import { actor } from './actor.js';

const unprocessable = {
  422: problemAnswer(
    'The edge cannot be declared: it would close a cycle (the path is in `detail`), its ' +
      'condition does not compile (the position is in `detail`), its name is taken, or the ' +
      "downstream's fan-in or templates would name an edge it does not have",
  ),
};

/** A refusal's field as the POST body spells it (`edges.0.condition` → `body.condition`). */
const bodyField = (path: string) =>
  path.startsWith('edges.0.') ? `body.${path.slice('edges.0.'.length)}` : 'body';

/** Dependencies (edges of the tenant's graph) and the graph view of a job. */
export const dependencyRoutes: FastifyPluginAsyncZod = async (app) => {
  const { deps } = app;
  const tags = ['dependencies'];

  app.post(
    '/dependencies',
    {
      schema: {
        tags,
        operationId: 'createDependency',
        summary: 'Declare a dependency between two endpoints (across jobs too)',
        description:
          'Declares the edge `upstream → downstream` (one per pair; its id is ' +
          '`<upstream>.<downstream>`). Both must be active endpoints of the tenant (404 names ' +
          'the missing one). The condition is compiled now; an edge that would close a cycle is ' +
          'refused with the cycle, e.g. `a → b → c → a`, decided against one version of the ' +
          'graph, so concurrent declarations never close one together. Declaring an edge that ' +
          'exists as asked answers 200 and changes nothing; another definition of the same pair ' +
          'replaces it (201).',
        body: DependencyCreateSchema,
        response: {
          201: described(DependencySchema, 'The edge was declared (or its definition replaced)'),
          200: described(DependencySchema, 'The edge already existed as asked: it is unchanged'),
          ...problemResponses,
          ...unprocessable,
        },
      },
    },
    async (request, reply) => {
      const { downstream, ...spec } = request.body;
      const edge = edgeOf(downstream, spec);
      const { events } = await declareDependencies(deps, request.tenantId, [edge], actor(request), {
        fieldOf: bodyField,
      });
      return reply.status(events.length > 0 ? 201 : 200).send(dependencyView(edge));
    },
  );

  app.get(
    '/dependencies',
    {
      schema: {
        tags,
        operationId: 'listDependencies',
        summary: 'List dependencies (by edge id, cursor-paginated)',
        description:
          "Lists the tenant's edges in id order: all, those with an end in a `job`, from an " +
          '`upstream` or into a `downstream` (filters combine). Read from the log (the graph ' +
          'holds edges only), so a declaration is listed at once.',
        querystring: DependencyListQuery,
        response: { 200: page(DependencySchema), ...problemResponses },
      },
    },
    async (request) => {
      const { limit, cursor, job, upstream, downstream } = request.query;
      const after = pageAfter(cursor, EdgeId);
      const all = await listDependencies(deps, request.tenantId, { job, upstream, downstream });
      const rest = after === undefined ? all : all.filter((edge) => edge.edgeId > after);
      const items = rest.slice(0, limit);
      const last = items.at(-1);
      return {
        items: items.map(dependencyView),
        nextCursor: rest.length > limit && last ? encodeCursor(last.edgeId) : null,
      };
    },
  );

  app.get(
    '/dependencies/:edgeId',
    {
      schema: {
        tags,
        operationId: 'getDependency',
        summary: 'Get a dependency',
        description: 'Reads one edge by its id, `<upstream>.<downstream>`.',
        params: EdgeParams,
        response: { 200: DependencySchema, ...problemResponses },
      },
    },
    async (request) =>
      dependencyView(await readDependency(deps, request.tenantId, request.params.edgeId)),
  );

  app.delete(
    '/dependencies/:edgeId',
    {
      schema: {
        tags,
        operationId: 'deleteDependency',
        summary: 'Remove a dependency',
        description:
          'Removes the edge: the downstream no longer waits for, nor runs after, the upstream. ' +
          "Refused with 422 while the downstream's fan-in or templates name it (change those " +
          'first).',
        params: EdgeParams,
        response: {
          204: z.null().describe('The edge was removed (no body)'),
          ...problemResponses,
          422: problemAnswer("The downstream's fan-in or templates still name the edge"),
        },
      },
    },
    async (request, reply) => {
      await removeDependencies(deps, request.tenantId, [request.params.edgeId], actor(request), {
        reason: 'removed by API',
        fieldOf: () => 'params.edgeId',
      });
      return reply.status(204).send(null);
    },
  );

  app.get(
    '/graph',
    {
      schema: {
        tags,
        operationId: 'getGraph',
        summary: "A job's (or the tenant's) dependency graph, with each edge's state",
        description:
          "The job's endpoints, every endpoint of another job on one of their edges, and those " +
          'edges with what each downstream knows of them now: the latest and the last ' +
          'satisfying upstream response, whether a gate is open, whether a breaker holds the ' +
          'downstream, and how many responses wait for a fan-in. Without `job`, the whole ' +
          "tenant's graph (its active endpoints and every edge). Edges are read from the log; " +
          'endpoints and edge states from the scheduling read model, which follows the log ' +
          'within moments. `at` replays the log up to a position or an instant instead: the ' +
          'graph, the endpoints and the edge states as they were then (404 for a job that did ' +
          'not exist yet).',
        querystring: GraphQuery,
        response: { 200: GraphSchema, ...problemResponses },
      },
    },
    async (request) => {
      const { job, at } = request.query;
      return at === undefined
        ? graphView(deps, request.tenantId, job)
        : graphViewAt(deps, request.tenantId, job, at);
    },
  );
};
