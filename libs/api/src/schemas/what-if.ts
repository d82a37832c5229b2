import { EndpointOverride, PolicyOverride } from '@orrery/domain';
import { z } from 'zod';
import { Id, Instant, requestBody, responseBody } from './common.js';
import { DependencyCreateSchema, EdgeId } from './dependencies.js';

/** Bounds of one what-if (the route answers 422 beyond them). */
export const WHAT_IF_LIMITS = {
  /** The longest window. */
  windowMs: 7 * 24 * 60 * 60_000,
  /** Most endpoints simulated (a job with more is refused). */
  endpoints: 50,
  /** Most events read: the simulated endpoints' streams from their start, their jobs, upstreams. */
  events: 100_000,
  /** Most runs the simulation makes (about 0.3 ms each on a small machine). */
  runs: 10_000,
} as const;

const override = EndpointOverride.shape;
const policy = PolicyOverride.shape;

const EndpointOverrideSchema = z
  .strictObject({
    baseline: override.baseline.describe('Replaces the baseline (interval, cron or none)'),
    minIntervalMs: override.minIntervalMs.describe('Runs never closer together than this'),
    maxIntervalMs: override.maxIntervalMs.describe(
      'Runs never further apart than this; null removes the bound',
    ),
    jitterMs: override.jitterMs.describe('Upper bound of the deterministic jitter'),
    backoff: override.backoff.describe('Failure backoff: `factor` and `maxMs`'),
  })
  .meta({
    id: 'WhatIfEndpointOverride',
    description:
      "Laid over the endpoint's config at the start of the window and over every " +
      'reconfiguration recorded in it; the result must be a valid config',
  });

const PolicyOverrideSchema = z
  .strictObject({
    antiThrash: policy.antiThrash.describe('`windowMs`, `maxChanges`, `cooldownMs`'),
    budget: policy.budget.describe('`windowMs`, `perEndpoint`, `perJob`'),
    maxPlannerPauseMs: policy.maxPlannerPauseMs.describe('The longest planner pause'),
  })
  .meta({
    id: 'WhatIfPolicyOverride',
    description: "Laid over the job's recorded arbiter policy, field by field",
  });

const ChangesSchema = z
  .strictObject({
    endpoints: z
      .record(Id, EndpointOverrideSchema)
      .optional()
      .describe('Config overrides by simulated endpoint id (at most 64)'),
    edges: z
      .strictObject({
        add: z
          .array(DependencyCreateSchema)
          .max(64)
          .optional()
          .describe('Edges into simulated endpoints, in force from the start of the window'),
        remove: z
          .array(EdgeId)
          .max(64)
          .optional()
          .describe('Edges into simulated endpoints, gone from the start of the window'),
      })
      .optional()
      .describe('Edges added or removed; recorded declarations of them in the window are ignored'),
    policies: z
      .record(Id, PolicyOverrideSchema)
      .optional()
      .describe('Arbiter policy changes by job id (a job with a simulated endpoint)'),
    planner: z
      .enum(['on', 'off'])
      .optional()
      .describe('`off` drops the recorded planner proposals instead of deciding them again'),
  })
  .describe('What to change; nothing by default (the simulation then reproduces the log)');

export const WhatIfRequestSchema = requestBody(
  z
    .strictObject({
      from: Instant.describe('Start of the window (inclusive)'),
      to: Instant.describe(
        'End of the window (exclusive); at most 7 days after `from`, not after now',
      ),
      job: Id.optional().describe('Simulate every endpoint of this job (or name `endpoints`)'),
      endpoints: z
        .array(Id)
        .min(1)
        .max(WHAT_IF_LIMITS.endpoints)
        .optional()
        .describe('Simulate these endpoints (or name a `job`)'),
      changes: ChangesSchema.optional(),
      toleranceMs: z
        .number()
        .int()
        .min(0)
        .max(60_000)
        .default(250)
        .describe('Runs at most this far apart are the same run (default 250 ms)'),
      moveWindowMs: z
        .number()
        .int()
        .min(0)
        .max(24 * 60 * 60_000)
        .optional()
        .describe(
          'Runs further apart than the tolerance but within this are one run moved ' +
            '(default: per endpoint, half the median gap between its recorded runs)',
        ),
      listLimit: z
        .number()
        .int()
        .min(0)
        .max(500)
        .default(50)
        .describe('Items listed per list and endpoint (the counts are always whole)'),
    })
    .refine((body) => (body.job === undefined) !== (body.endpoints === undefined), {
      message: 'name either a job or endpoints',
      path: ['job'],
    }),
  'WhatIfRequest',
  [
    {
      from: '2026-01-01T10:00:00Z',
      to: '2026-01-01T11:00:00Z',
      job: 'demo-shop',
      changes: { endpoints: { 'demo-orders': { baseline: { kind: 'interval', everyMs: 1000 } } } },
    },
    {
      from: '2026-01-01T10:00:00Z',
      to: '2026-01-01T10:30:00Z',
      endpoints: ['demo-orders', 'demo-pack'],
      changes: {
        edges: { remove: ['demo-orders.demo-pack'] },
        policies: { 'demo-shop': { budget: { perEndpoint: 1 } } },
        planner: 'off',
      },
      toleranceMs: 500,
    },
  ],
);
export type WhatIfRequestBody = z.infer<typeof WhatIfRequestSchema>;

const RunViewSchema = z
  .object({
    runId: z.string(),
    at: Instant.describe('Its slot: when it was due'),
    reason: z.string().describe("Why it ran (the governor's reason, or `cascade`)"),
  })
  .meta({ id: 'WhatIfRun' });

const listed = <T extends z.ZodType>(item: T, what: string) =>
  z.object({
    count: z.number().int().describe(`How many ${what}`),
    items: z.array(item).describe('The first of them, up to `listLimit`'),
  });

const Side = z.object({
  runs: z.number().int().describe('Runs whose slot lies in the window'),
  skipped: z.number().int().describe('Slots skipped by a closed gate'),
  refusals: z.number().int().describe('Proposals refused by the arbiter'),
});

const Outcome = z.enum(['accepted', 'rejected', 'dropped', 'kept', 'not_decided']);

const ProposalChangeSchema = z
  .object({
    proposalId: z.string(),
    kind: z.enum(['interval', 'oneShot', 'pause', 'clear']),
    source: z.enum(['user', 'cascade', 'agent', 'planner']),
    at: Instant.describe('When it was decided'),
    recorded: z.object({ outcome: z.enum(['accepted', 'rejected']), rule: z.string().nullable() }),
    simulated: z.object({
      outcome: Outcome.describe(
        '`dropped`: a planner proposal with the planner off; `kept`: not decided again (its ' +
          'recorded outcome stands); `not_decided`: the target could not take it then',
      ),
      rule: z.string().nullable(),
      detail: z.string().nullable(),
    }),
  })
  .meta({ id: 'WhatIfProposalChange', description: 'A proposal whose outcome changed' });

const EndpointWhatIfSchema = z
  .object({
    endpointId: z.string(),
    jobId: z.string(),
    recorded: Side,
    simulated: Side,
    unchanged: z.number().int().describe('Runs matched within the tolerance'),
    moved: listed(
      z
        .object({ recorded: RunViewSchema, simulated: RunViewSchema, shiftMs: z.number().int() })
        .meta({ id: 'WhatIfMovedRun' }),
      'recorded runs the simulation made at another time (within the move window)',
    ),
    appeared: listed(RunViewSchema, 'simulated runs with no recorded counterpart'),
    vanished: listed(RunViewSchema, 'recorded runs with no simulated counterpart'),
    proposals: z.object({
      decided: z.number().int().describe('Recorded proposals for the endpoint in the window'),
      changed: listed(ProposalChangeSchema, 'proposals whose outcome changed'),
    }),
    responses: z
      .object({
        recorded: z.number().int(),
        reused: z.number().int(),
        assumed: z.number().int(),
        assumedRuns: z.array(z.string()),
      })
      .describe(
        'How simulated runs got a response: `recorded` (the run at the same time), `reused` ' +
          '(the latest recorded answer before it), `assumed` (none recorded: 200, empty body)',
      ),
    moveWindowMs: z.number().int(),
    summary: z.string(),
  })
  .meta({
    id: 'WhatIfEndpoint',
    description: 'One simulated endpoint: recorded against simulated',
  });

/** The orders poll of the demo every 6 s instead of 3 s, for half an hour. */
const halfAsOften = 'demo-orders: 300 runs instead of 600 (298 unchanged, 2 moved, 300 vanished)';

export const WhatIfReportSchema = responseBody(
  z
    .object({
      window: z.object({ from: Instant, to: Instant }),
      toleranceMs: z.number().int(),
      endpoints: z.array(EndpointWhatIfSchema),
      totals: z.object({
        recordedRuns: z.number().int(),
        simulatedRuns: z.number().int(),
        unchanged: z.number().int(),
        moved: z.number().int(),
        appeared: z.number().int(),
        vanished: z.number().int(),
        proposalsChanged: z.number().int(),
        reusedResponses: z.number().int(),
        assumedResponses: z.number().int(),
      }),
      summary: z.string(),
    })
    .describe('The simulated history against the recorded one'),
  'WhatIfReport',
  [
    {
      window: { from: '2026-01-01T10:00:00.000Z', to: '2026-01-01T10:30:00.000Z' },
      toleranceMs: 250,
      endpoints: [
        {
          endpointId: 'demo-orders',
          jobId: 'demo-shop',
          recorded: { runs: 600, skipped: 0, refusals: 1 },
          simulated: { runs: 300, skipped: 0, refusals: 0 },
          unchanged: 298,
          moved: {
            count: 2,
            items: [
              {
                recorded: {
                  runId: 'run-demo-orders-mjvacvnc',
                  at: '2026-01-01T10:12:03.000Z',
                  reason: 'baseline_interval',
                },
                simulated: {
                  runId: 'run-demo-orders-mjvacwhw',
                  at: '2026-01-01T10:12:04.100Z',
                  reason: 'baseline_interval',
                },
                shiftMs: 1_100,
              },
            ],
          },
          appeared: { count: 0, items: [] },
          vanished: {
            count: 300,
            items: [
              {
                runId: 'run-demo-orders-mjv9xg3c',
                at: '2026-01-01T10:00:03.000Z',
                reason: 'baseline_interval',
              },
            ],
          },
          proposals: {
            decided: 4,
            changed: {
              count: 1,
              items: [
                {
                  proposalId: 'plan-7f3a-1',
                  kind: 'interval',
                  source: 'planner',
                  at: '2026-01-01T10:20:00.000Z',
                  recorded: { outcome: 'rejected', rule: 'anti_thrash' },
                  simulated: { outcome: 'accepted', rule: null, detail: null },
                },
              ],
            },
          },
          responses: { recorded: 298, reused: 2, assumed: 0, assumedRuns: [] },
          moveWindowMs: 1_500,
          summary: halfAsOften,
        },
      ],
      totals: {
        recordedRuns: 600,
        simulatedRuns: 300,
        unchanged: 298,
        moved: 2,
        appeared: 0,
        vanished: 300,
        proposalsChanged: 1,
        reusedResponses: 2,
        assumedResponses: 0,
      },
      summary: `1 endpoint simulated; ${halfAsOften}; 1 proposal decided otherwise`,
    },
  ],
);
