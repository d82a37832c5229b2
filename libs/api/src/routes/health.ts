import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { sql } from 'kysely';
import { z } from 'zod';
import { problemAnswer } from '../schemas/common.js';

/** Liveness (the process answers) and readiness (the database answers; projection lag). */
export const healthRoutes: FastifyPluginAsyncZod = async (app) => {
  app.get(
    '/healthz',
    {
      schema: {
        tags: ['health'],
        operationId: 'checkLiveness',
        summary: 'Liveness',
        description: 'Answers 200 while the process serves requests; it checks nothing else.',
        security: [],
        response: { 200: z.object({ status: z.literal('ok') }) },
      },
    },
    async () => ({ status: 'ok' as const }),
  );
  app.get(
    '/readyz',
    {
      schema: {
        tags: ['health'],
        operationId: 'checkReadiness',
        summary: 'Readiness: database reachable, and how far the projection lags the log',
        description:
          'Answers 200 with the head of the log and the projected position while the database ' +
          'answers, 503 when it does not.',
        security: [],
        response: {
          200: z.object({
            status: z.literal('ready'),
            head: z.number(),
            projected: z.number(),
            lag: z.number(),
          }),
          503: problemAnswer('The database does not answer'),
        },
      },
    },
    async (_request, reply) => {
      const { store, db } = app.deps;
      try {
        const head = await store.headPosition();
        const row = await db
          .selectFrom('projection_checkpoints')
          .select('position')
          .where('name', '=', 'scheduling')
          .executeTakeFirst();
        await sql`select 1`.execute(db);
        const projected = row?.position ?? 0;
        return { status: 'ready' as const, head, projected, lag: Math.max(0, head - projected) };
      } catch (error) {
        reply.log.warn({ err: error }, 'not ready');
        return reply.status(503).type('application/problem+json').send({
          type: '/problems/unavailable',
          title: 'Unavailable',
          status: 503,
          detail: 'the database does not answer',
        });
      }
    },
  );
};
