import { replay, ReplayRefusedError } from '@orrery/scheduling';
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { ProblemError } from '../problem.js';
import { problemAnswer, problemResponses, requestBody } from '../schemas/common.js';
import { ReplayReportSchema, ReplayRequestSchema } from '../schemas/replay.js';

const responses = {
  ...problemResponses,
  403: problemAnswer('Admin routes are disabled'),
  404: problemAnswer('The log holds no such tenant, job or endpoint'),
  503: problemAnswer('Replays are not set up in this API (it has no connection string)'),
};

/**
 * A compare-only replay (never a swap): the log folded by the real projection into temporary
 * tables — a session's own, which the services' role may create and which vanish with the
 * session — and compared with the live read models row by row. Under the admin guard.
 */
export const adminReplayRoutes: FastifyPluginAsyncZod = async (app) => {
  app.post(
    '/replay',
    {
      schema: {
        tags: ['admin'],
        operationId: 'replayLog',
        summary: 'Replay the log and compare it with the read models (never swaps)',
        description:
          'Folds the log from position 0 with the real scheduling projection into temporary ' +
          'tables, then compares them with the live read models (schedule, runs, jobs, ' +
          'tenant holds, conflicts, planner sessions) by primary key: rows the log gives and ' +
          'the read model lacks (`missing`), rows the read model has and the log does not give ' +
          '(`extra`), and rows that differ, with the columns and JSON paths (`changed`). Scope ' +
          'it to a tenant, a job or an endpoint (an endpoint or a job is read from its streams ' +
          'alone, not the whole log), and up to a position or an instant. The answer comes when ' +
          'the replay is done: a whole log of a million events takes minutes; `npm run replay` ' +
          'does the same with a progress bar, and can swap the replay in.',
        body: requestBody(ReplayRequestSchema, 'ReplayRequest', [
          {},
          { endpointId: 'nightly-export', tenantId: 'acme-logistics' },
          { to: '2026-01-01T00:00:00Z', limit: 20 },
        ]),
        response: { 200: ReplayReportSchema, ...responses },
      },
    },
    async (request) => {
      const { connectionString, store } = app.deps;
      if (connectionString === undefined) {
        throw new ProblemError('unavailable', 'this API was built without a connection string');
      }
      const { tenantId, jobId, endpointId, to, limit, verify } = request.body;
      try {
        const report = await replay({
          connectionString,
          store,
          scope: {
            ...(tenantId === undefined ? {} : { tenantId }),
            ...(jobId === undefined ? {} : { jobId }),
            ...(endpointId === undefined ? {} : { endpointId }),
          },
          ...(to === undefined ? {} : { to: typeof to === 'number' ? to : new Date(to) }),
          shadow: 'temporary',
          limit,
          verify,
        });
        const differences = report.tables.reduce((n, t) => n + t.differences, 0);
        request.log.info(
          { through: report.through, events: report.events, differences },
          'admin replay compared',
        );
        return {
          ...report,
          streams: report.streams && [...report.streams],
          parked: [...report.parked],
          tables: [...report.tables],
          differences: report.differences.map((d) =>
            d.kind === 'changed' ? { ...d, changes: [...d.changes] } : d,
          ),
        };
      } catch (error) {
        if (!(error instanceof ReplayRefusedError)) throw error;
        throw new ProblemError(
          error.reason === 'not_found' ? 'not_found' : 'validation',
          error.message,
        );
      }
    },
  );
};
