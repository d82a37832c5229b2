import { EndpointConfig, HeaderValue, HintSlot, HttpRequest } from '@orrery/domain';
import { z } from 'zod';
import { Id, Instant, PageQuery, requestBody, responseBody } from './common.js';
import { DependencySchema, DependsOnSchema } from './dependencies.js';
import { endpointExamples } from './endpoint-examples.js';
import { IntervalHintSchema, OneShotHintSchema } from './hint-views.js';

// The answers of the hints routes live beside their examples; the routes import them from here.
export {
  ClearedHintsSchema,
  HintSchema,
  IntervalHintSchema,
  OneShotHintSchema,
  RunErrorSchema,
  TestRunResultSchema,
} from './hint-views.js';
export type { HintView, IntervalHintView, OneShotHintView } from './hint-views.js';

const DAY = 24 * 60 * 60_000;

export const EndpointParams = z.strictObject({ endpointId: Id });

const config = EndpointConfig.shape;
const request = HttpRequest.shape;
const backoff = config.backoff.unwrap().shape;

const minIntervalDoc = 'Runs are never closer together than this, measured from the last run';

/** The interval bounds, described: the domain refuses a `maxIntervalMs` below `minIntervalMs`. */
const bounds = {
  minIntervalMs: config.minIntervalMs.describe(minIntervalDoc),
  maxIntervalMs: config.maxIntervalMs.describe(
    'Runs are never further apart than this (unless paused); at least `minIntervalMs`',
  ),
};

/** The stored config as answers show it: secret header values are always "***". */
export const EndpointConfigSchema = EndpointConfig.safeExtend(bounds).meta({
  id: 'EndpointConfig',
  description: 'An endpoint: its request and schedule. Secret header values read back as "***".',
});

export const EndpointCreateSchema = requestBody(
  EndpointConfig.safeExtend({
    id: Id.optional().describe('Client-chosen id; generated if absent'),
    ...bounds,
    dependsOn: DependsOnSchema.optional(),
  }),
  'EndpointCreate',
  [
    {
      id: 'sales-export',
      name: 'Export the day of sales',
      request: {
        method: 'POST',
        url: 'https://reports.example.com/exports/sales',
        headers: {
          authorization: { value: 'Bearer YOUR_REPORTS_TOKEN', secret: true },
          'content-type': { value: 'application/json' },
        },
        body: '{"format":"csv","day":"yesterday"}',
      },
      baseline: { kind: 'cron', expression: '30 2 * * *', timezone: 'Europe/Berlin' },
      maxIntervalMs: 172_800_000,
      timeoutMs: 30_000,
    },
    {
      name: 'Poll the payment provider',
      request: { url: 'https://payments.example.com/v2/settlements/pending' },
      baseline: { kind: 'interval', everyMs: 300_000 },
      minIntervalMs: 60_000,
      maxIntervalMs: 900_000,
      jitterMs: 10_000,
    },
    {
      id: 'load-warehouse',
      name: 'Load the exported sales into the warehouse',
      request: { method: 'POST', url: 'https://warehouse.example.com/loads' },
      baseline: { kind: 'none' },
      dependsOn: [
        { upstream: 'sales-export', name: 'export', condition: 'status == 200' },
        {
          upstream: 'warehouse-health',
          mode: 'gate',
          freshness: { kind: 'duration', ms: 900_000 },
        },
      ],
    },
  ],
);

/**
 * A partial config merged over the current one. `request` and `backoff` merge
 * field by field; `headers` replaces the whole map, where a secret header sent
 * back as "***" keeps its stored value. `null` removes `maxIntervalMs` or `request.body`.
 */
export const EndpointUpdateSchema = requestBody(
  z.strictObject({
    name: config.name.optional(),
    description: config.description.unwrap().optional(),
    request: z
      .strictObject({
        method: request.method.unwrap().optional(),
        url: request.url.optional(),
        headers: z.record(z.string().min(1), HeaderValue).optional(),
        body: z.string().nullable().optional(),
      })
      .optional(),
    baseline: config.baseline.optional(),
    start: config.start,
    minIntervalMs: config.minIntervalMs.unwrap().optional().describe(minIntervalDoc),
    maxIntervalMs: config.maxIntervalMs
      .unwrap()
      .nullable()
      .optional()
      .describe(
        'At least `minIntervalMs` (the one sent, else the current one); null removes the bound',
      ),
    timeoutMs: config.timeoutMs.unwrap().optional(),
    responseCapBytes: config.responseCapBytes.unwrap().optional(),
    jitterMs: config.jitterMs.unwrap().optional(),
    backoff: z
      .strictObject({
        factor: backoff.factor.unwrap().optional(),
        maxMs: backoff.maxMs.unwrap().optional(),
      })
      .optional(),
    dependsOn: DependsOnSchema.optional(),
  }),
  'EndpointUpdate',
  [
    { baseline: { kind: 'interval', everyMs: 600_000 }, maxIntervalMs: null },
    {
      request: {
        url: 'https://reports.example.com/exports/sales?compress=gzip',
        headers: { authorization: { value: '***', secret: true } },
      },
    },
  ],
);
export type EndpointUpdate = z.infer<typeof EndpointUpdateSchema>;

const RunRef = { runId: z.string(), scheduledFor: Instant, dispatchedAt: Instant };

const endpoint = z.object({
  id: Id,
  jobId: Id,
  status: z.enum(['active', 'archived']),
  config: EndpointConfigSchema,
  paused: z
    .object({ until: Instant.nullable(), reason: z.string() })
    .nullable()
    .describe('The pause in force now (a lapsed pause reads as null)'),
  hints: z
    .object({ interval: IntervalHintSchema.nullable(), oneShot: OneShotHintSchema.nullable() })
    .describe('Live hints only'),
  schedule: z.object({
    nextRunAt: Instant.nullable().describe('null: never, until something changes'),
    reason: z.string(),
  }),
  lastRun: z.object(RunRef).nullable(),
  inFlight: z.object({ ...RunRef, leaseUntil: Instant, attempt: z.number().int() }).nullable(),
  consecutiveFailures: z.number().int(),
  registeredAt: Instant,
  job: z
    .object({
      paused: z
        .object({ until: Instant.nullable(), reason: z.string() })
        .nullable()
        .describe("The job's pause in force now: it holds every endpoint of the job"),
      archived: z.boolean().describe('The job is archived: the endpoint never runs again'),
    })
    .describe("The job's hold on the endpoint (the next run already takes it into account)"),
  parked: z
    .array(
      z.object({
        processor: z.string().describe('Which consumer of the log set it aside'),
        error: z.string(),
        since: Instant,
        position: z.number().int().describe('The first event it could not handle'),
      }),
    )
    .describe(
      "Processors that set this endpoint's events aside because they failed; they are " +
        'retried, and at once after any change to the endpoint (empty when all is well)',
    ),
  dependsOn: z.array(DependencySchema).describe('Its incoming edges, by name'),
});
export type EndpointView = z.infer<typeof endpoint>;

export const EndpointSchema = responseBody(endpoint, 'Endpoint', endpointExamples);

export const EndpointListQuery = PageQuery.extend({
  status: z.enum(['active', 'archived']).optional(),
});

const reason = z.string().max(500).optional();

/** Who proposes a hint, and from which view of the log (the arbiter's staleness rule). */
const proposer = {
  source: z
    .enum(['user', 'agent'])
    .optional()
    .describe(
      'Who proposes it: `user` (the default: a person, outranking every other source) or ' +
        '`agent` (an automated client acting with this key, such as the MCP server: it yields ' +
        "to users' and cascades' live hints, a pause holds it off, and it outranks the planner). " +
        "An agent's refused proposal is recorded as a conflict and answered 409 with `refusal`",
    ),
  basedOnPosition: z
    .number()
    .int()
    .min(0)
    .optional()
    .describe(
      'The log position the proposal was based on (e.g. `asOf.position` of explain): refused ' +
        "as `stale` when the endpoint's latest response, pause or resume is newer",
    ),
};

export const HintCreateSchema = requestBody(
  z.discriminatedUnion('kind', [
    z.strictObject({
      kind: z.literal('interval'),
      intervalMs: z
        .number()
        .int()
        .positive()
        .max(366 * DAY),
      ttlMs: z
        .number()
        .int()
        .positive()
        .max(30 * DAY),
      reason,
      ...proposer,
    }),
    z
      .strictObject({
        kind: z.literal('oneShot'),
        runAt: Instant.optional().describe(
          'When to run; give `runAt` or `inMs`, not both, or neither to run now',
        ),
        inMs: z
          .number()
          .int()
          .min(0)
          .max(366 * DAY)
          .optional()
          .describe('Run this long from now (not with `runAt`)'),
        ttlMs: z
          .number()
          .int()
          .positive()
          .max(30 * DAY)
          .optional()
          .describe(
            'How long the hint lives; it must outlive the run time. Default: until 10 minutes ' +
              'after the run time',
          ),
        reason,
        ...proposer,
      })
      .refine((h) => h.runAt === undefined || h.inMs === undefined, {
        message: 'give runAt or inMs, not both',
        path: ['inMs'],
      })
      // The refinement above, as JSON Schema can say it.
      .meta({ not: { required: ['runAt', 'inMs'] } }),
  ]),
  'HintCreate',
  [
    { kind: 'interval', intervalMs: 60_000, ttlMs: 3_600_000, reason: 'end-of-month rush' },
    { kind: 'oneShot', inMs: 300_000, reason: 'the upstream batch has landed' },
    { kind: 'oneShot' },
    { kind: 'interval', intervalMs: 300_000, ttlMs: 3_600_000, source: 'agent' },
  ],
);

export const ClearHintsQuery = z.strictObject({ slot: HintSlot.optional() });

export const RunNowSchema = requestBody(
  z.strictObject({ reason, source: proposer.source }),
  'RunNow',
  [{ reason: 'the customer asked for fresh numbers' }, { source: 'agent' }],
);
export const TestRunSchema = requestBody(z.strictObject({}), 'TestRun', [{}]);
