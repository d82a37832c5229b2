import { z } from 'zod';
import { Instant, PageQuery } from './common.js';
import { RunErrorSchema } from './endpoints.js';

const RunStatus = z.enum(['dispatched', 'succeeded', 'failed']);

/** Run ids are made by the dispatcher (`run-<endpoint>-<slot>`) or a test run (`test-<uuid>`). */
export const RunParams = z.strictObject({
  runId: z
    .string()
    .regex(/^[A-Za-z0-9][A-Za-z0-9_.-]{0,199}$/, 'letters, digits, ., _ and -, at most 200'),
});

export const RunsQuery = PageQuery.extend({ status: RunStatus.optional() });

export const RunSchema = z
  .object({
    id: z.string(),
    endpointId: z.string(),
    jobId: z.string(),
    status: RunStatus,
    attempt: z.number().int().describe('1, or more when a lapsed lease re-dispatched the run'),
    reason: z.string().describe('Why the run was due (the governor reason, or test)'),
    scheduledFor: Instant,
    dispatchedAt: Instant,
    latenessMs: z.number().int().describe('Dispatch time minus scheduled time'),
    startedAt: Instant.nullable(),
    finishedAt: Instant.nullable(),
    durationMs: z.number().nullable(),
    httpStatus: z.number().int().nullable(),
    error: z.string().nullable().describe('`kind: message` when the call failed'),
    test: z.boolean().describe('A test run: recorded, with no effect on the schedule'),
  })
  .meta({ id: 'Run' });
export type RunView = z.infer<typeof RunSchema>;

export const RunResponseSchema = z
  .object({
    headers: z.record(z.string(), z.string()).describe('A lower-cased subset'),
    body: z.unknown().describe('JSON when the answer was complete JSON, else text'),
    bodyTruncated: z.boolean(),
    error: RunErrorSchema.nullable(),
  })
  .meta({ id: 'RunResponse' });

export const RunDetailSchema = RunSchema.extend({
  response: RunResponseSchema.nullable().describe('null until the response is recorded'),
}).meta({ id: 'RunDetail' });
export type RunDetailView = z.infer<typeof RunDetailSchema>;
