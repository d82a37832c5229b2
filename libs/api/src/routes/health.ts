import { processorStatus } from '@orrery/scheduling';
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { problem } from '../problem.js';
import { problemAnswer } from '../schemas/common.js';

/** A processor whose oldest unhandled event has waited this long is stalled: not ready. */
export const STALL_AFTER_MS = 30_000;

const ProcessorState = z
  .object({
    name: z.string(),
    position: z.number().int().describe('Log position handled up to'),
    lag: z.number().int().describe('Events of the log not handled yet'),
    waitingMs: z.number().int().describe('How long the oldest of them has waited'),
    active: z.boolean().describe('A process holds its lease (runs it) now'),
    parked: z.number().int().describe('Streams set aside because their events failed'),
  })
  .meta({ id: 'ProcessorState' });

const caughtUp = { lag: 0, waitingMs: 0, active: true, parked: 0 };
const readyExample = {
  status: 'ready',
  head: 1187,
  processors: [
    { name: 'cascade', position: 1187, ...caughtUp },
    { name: 'hint-expiry', position: 1187, ...caughtUp },
    { name: 'scheduling', position: 1185, ...caughtUp, lag: 2, waitingMs: 40 },
  ],
  parked: 0,
};

/** Liveness (the process answers) and readiness (the database answers; processors keep up). */
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
        response: {
          200: z.object({ status: z.literal('ok') }).meta({ examples: [{ status: 'ok' }] }),
        },
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
        summary: 'Readiness: the database answers and the processors keep up with the log',
        description:
          'Answers 200 with the head of the log and, per processor (the projection, hint expiry), ' +
          'how far it has read, how many events wait and for how long, whether a process runs ' +
          'it, and how many streams it parked (set aside after their events failed; see ' +
          `\`parked\` on an endpoint). 503 when the database does not answer, or when a ` +
          `processor's oldest unhandled event has waited more than ${STALL_AFTER_MS / 1000} s ` +
          '(stalled: no process runs it, or it cannot move).',
        security: [],
        response: {
          200: z
            .object({
              status: z.literal('ready'),
              head: z.number().int().describe('The last position of the log'),
              processors: z.array(ProcessorState),
              parked: z.number().int().describe('Parked streams, all processors together'),
            })
            .meta({ examples: [readyExample] }),
          503: problemAnswer('The database does not answer, or a processor is stalled'),
        },
      },
    },
    async (_request, reply) => {
      let status: Awaited<ReturnType<typeof processorStatus>>;
      try {
        status = await processorStatus(app.deps.db);
      } catch (error) {
        reply.log.warn({ err: error }, 'not ready: database unreachable');
        return reply
          .status(503)
          .type('application/problem+json')
          .send(problem('unavailable', 'database unreachable'));
      }
      const processors = status.processors.map(({ owner: _owner, ...rest }) => rest);
      const stallAfterMs = app.deps.stallAfterMs ?? STALL_AFTER_MS;
      const stalled = processors.filter((p) => p.waitingMs > stallAfterMs);
      if (stalled.length > 0) {
        const detail = stalled
          .map(
            (p) =>
              `${p.name} stalled: ${p.lag} events waiting for ${Math.round(p.waitingMs / 1000)} s` +
              (p.active ? '' : ' (no process runs it)'),
          )
          .join('; ');
        return reply
          .status(503)
          .type('application/problem+json')
          .send(problem('unavailable', detail));
      }
      return {
        status: 'ready' as const,
        head: status.head,
        processors,
        parked: processors.reduce((sum, p) => sum + p.parked, 0),
      };
    },
  );
};
