import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { runWhatIf } from '../reads/what-if.js';
import { problemAnswer, problemResponses } from '../schemas/common.js';
import { WhatIfReportSchema, WhatIfRequestSchema } from '../schemas/what-if.js';

/** What-if: recorded history re-run with a changed configuration, compared with the log. */
export const whatIfRoutes: FastifyPluginAsyncZod = async (app) => {
  app.post(
    '/what-if',
    {
      schema: {
        tags: ['what-if'],
        operationId: 'whatIf',
        summary: 'Re-run a window of recorded history with a changed configuration',
        description:
          'Re-runs the governor, the cascade rules and the arbiter over `[from, to)` of the ' +
          "log for a job's endpoints (or the ones named), with config overrides, edges added " +
          'or removed, arbiter policies or the planner off, feeding the recorded responses back; ' +
          'answers, per endpoint, the runs that moved, appeared or vanished and the proposals ' +
          'whose outcome changed. Read-only: it appends nothing and changes nothing. Runs that ' +
          "never happened get the endpoint's latest recorded answer before them (or a success " +
          'with an empty body, flagged `assumed`, when it never answered). Bounded: a window ' +
          'of at most 7 days ending by now, at most 50 endpoints, 100,000 events read and ' +
          '10,000 simulated runs (422 beyond).',
        body: WhatIfRequestSchema,
        response: {
          200: WhatIfReportSchema,
          ...problemResponses,
          422: problemAnswer(
            'The window is empty, longer than 7 days or ends after now; the scope or its ' +
              'history is too large; the simulation would make more than 10,000 runs; or a ' +
              'change does not hold (an edge that closes a cycle, a name not simulated)',
          ),
        },
      },
    },
    async (request) => runWhatIf(app.deps, request.tenantId, request.body),
  );
};
