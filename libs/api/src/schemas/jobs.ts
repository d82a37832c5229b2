import { z } from 'zod';
import { Id, Instant, requestBody, responseBody } from './common.js';
import { PlannerSettingsSchema, PlannerSettingsSpecSchema } from './planner-settings.js';

export const JobSchema = responseBody(
  z.object({
    id: Id,
    name: z.string(),
    description: z.string(),
    status: z.enum(['active', 'archived']),
    paused: z.object({ until: Instant.nullable(), reason: z.string() }).nullable(),
    createdAt: Instant.nullable(),
    planner: PlannerSettingsSchema,
  }),
  'Job',
  [
    {
      id: 'nightly-reports',
      name: 'Nightly reports',
      description: 'Builds the sales reports and mails them before the shops open',
      status: 'active',
      paused: null,
      createdAt: '2026-03-01T09:30:00.000Z',
      planner: {
        enabled: true,
        backend: 'heuristic',
        policy: {
          antiThrash: { windowMs: 600_000, maxChanges: 3, cooldownMs: 60_000 },
          budget: { windowMs: 3_600_000, perEndpoint: 20, perJob: 100 },
          maxPlannerPauseMs: 3_600_000,
        },
      },
    },
  ],
);
export type JobView = z.infer<typeof JobSchema>;

export const JobCreateSchema = requestBody(
  z.strictObject({
    id: Id.optional().describe(
      'Client-chosen id, which makes the create safe to retry: the same body answers 200 with ' +
        'the job, a different one 409. Generated if absent',
    ),
    name: z.string().min(1).max(200),
    description: z.string().max(2000).optional(),
    planner: PlannerSettingsSpecSchema.optional().describe(
      'How the planner steers the endpoints of the job; the fields left out take the defaults',
    ),
  }),
  'JobCreate',
  [
    {
      id: 'nightly-reports',
      name: 'Nightly reports',
      description: 'Builds the sales reports and mails them before the shops open',
    },
    { name: 'Partner feeds' },
    {
      id: 'partner-feeds',
      name: 'Partner feeds',
      planner: {
        backend: 'heuristic',
        policy: { antiThrash: { maxChanges: 2 }, budget: { perEndpoint: 30 } },
      },
    },
  ],
);

export const JobUpdateSchema = requestBody(
  z.strictObject({
    name: z.string().min(1).max(200).optional(),
    description: z.string().max(2000).optional(),
    planner: PlannerSettingsSpecSchema.optional().describe(
      "Laid over the job's planner settings: the fields left out keep their value",
    ),
  }),
  'JobUpdate',
  [
    { description: 'Builds the sales reports and uploads them to the archive' },
    { planner: { enabled: false } },
    { planner: { policy: { budget: { perJob: 200 }, maxPlannerPauseMs: 3_600_000 } } },
  ],
);

export const PauseSchema = requestBody(
  z.strictObject({
    until: Instant.nullable()
      .default(null)
      .describe('When the pause ends: an instant in the future; null pauses until resumed'),
    reason: z.string().max(500).optional(),
  }),
  'Pause',
  [
    { until: null, reason: 'the partner API returns 500s; investigating' },
    { until: '2031-03-01T06:00:00Z', reason: 'warehouse migration' },
  ],
);

export const ReasonSchema = requestBody(
  z.strictObject({ reason: z.string().max(500).optional() }),
  'Reason',
  [{ reason: 'the partner API is healthy again' }],
);

export const JobParams = z.strictObject({ jobId: Id });
