import { RunOutcome } from '@orrery/domain';
import { z } from 'zod';
import { Instant, PageQuery, responseBody } from './common.js';
import { RunErrorSchema } from './hint-views.js';

const RunStatus = z.enum(['dispatched', 'succeeded', 'failed']);

/** Run ids are made by the dispatcher (`run-<endpoint>-<slot>`) or a test run (`test-<uuid>`). */
export const RunParams = z.strictObject({
  runId: z
    .string()
    .regex(/^[A-Za-z0-9][A-Za-z0-9_.-]{0,199}$/, 'letters, digits, ., _ and -, at most 200'),
});

const outcomeDoc =
  'What became of the run, the first that applies: `pending` (no response yet); `timeout`, ' +
  '`network`, `refused` or `internal` (the call failed before a complete answer; a status ' +
  'that arrived is still in `httpStatus`); `http_error` (a status outside 200–299, redirects ' +
  'included, in `httpStatus`); `truncated` (a 2xx answer whose body exceeded the response ' +
  'cap: the first `responseCapBytes` were kept); `succeeded` (a complete 2xx answer)';

export const RunsQuery = PageQuery.extend({
  status: RunStatus.optional().describe('Only runs of this status (`dispatched` is pending)'),
  outcome: RunOutcome.optional().describe('Only runs with this outcome (see `Run.outcome`)'),
});

const run = z.object({
  id: z.string(),
  endpointId: z.string(),
  jobId: z.string(),
  status: RunStatus.describe(
    '`dispatched` until the response is recorded, then `succeeded` (a 2xx answer, a body cut ' +
      'at the cap included) or `failed`; `outcome` says more',
  ),
  outcome: RunOutcome.describe(outcomeDoc),
  attempt: z.number().int().describe('1, or more when a lapsed lease re-dispatched the run'),
  reason: z.string().describe('Why the run was due (the governor reason, or test)'),
  scheduledFor: Instant,
  dispatchedAt: Instant,
  latenessMs: z
    .number()
    .int()
    .describe(
      'Dispatch time minus scheduled time; 0 for a run dispatched ahead of its slot (its call ' +
        'waits for the slot: `startedAt` minus `scheduledFor` is the lateness of the call)',
    ),
  startedAt: Instant.nullable(),
  finishedAt: Instant.nullable(),
  durationMs: z.number().nullable(),
  httpStatus: z.number().int().nullable(),
  error: z
    .string()
    .nullable()
    .describe(
      '`kind: message` when the call failed or its body was cut at the cap; null for a ' +
        'complete answer, whatever its status (see `outcome`)',
    ),
  test: z.boolean().describe('A test run: recorded, with no effect on the schedule'),
});
export type RunView = z.infer<typeof run>;

/** A run of the demo's orders poll, due on its user's interval hint. */
const runExample: RunView = {
  id: 'run-demo-orders-mm8y7c00',
  endpointId: 'demo-orders',
  jobId: 'demo-shop',
  status: 'succeeded',
  outcome: 'succeeded',
  attempt: 1,
  reason: 'interval_hint',
  scheduledFor: '2026-03-02T09:00:00.000Z',
  dispatchedAt: '2026-03-02T09:00:00.012Z',
  latenessMs: 12,
  startedAt: '2026-03-02T09:00:00.015Z',
  finishedAt: '2026-03-02T09:00:00.034Z',
  durationMs: 19,
  httpStatus: 200,
  error: null,
  test: false,
};

export const RunSchema = responseBody(run, 'Run', [runExample]);

export const RunResponseSchema = z
  .object({
    headers: z.record(z.string(), z.string()).describe('A lower-cased subset'),
    body: z.unknown().describe('JSON when the answer was complete JSON, else text'),
    bodyTruncated: z.boolean(),
    error: RunErrorSchema.nullable(),
  })
  .meta({ id: 'RunResponse' });

export const RunDetailSchema = responseBody(
  run.extend({
    response: RunResponseSchema.nullable().describe('null until the response is recorded'),
  }),
  'RunDetail',
  [
    {
      ...runExample,
      response: {
        headers: { 'content-type': 'application/json' },
        body: { new: 2, batch_id: 'b418' },
        bodyTruncated: false,
        error: null,
      },
    },
  ],
);
export type RunDetailView = z.infer<typeof RunDetailSchema>;
