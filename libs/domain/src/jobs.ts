import { z } from 'zod';
import { HttpRequest } from './endpoint/config.js';

/**
 * The job catalogue: every queue and the zod schema of its payload, in one
 * place. Payloads are parsed when dequeued; a payload that fails its schema is
 * a broken producer, reported and never retried.
 */
export const jobCatalogue = {
  /** One HTTP call of a dispatched run. Job id = run id. */
  execute: z.strictObject({
    runId: z.string().min(1),
    endpointId: z.string().min(1),
    tenantId: z.string().min(1),
    scheduledFor: z.iso.datetime({ offset: true }),
    dispatchedAt: z.iso.datetime({ offset: true }),
    /** After this the run counts as lost and is dispatched again: a job still queued then is stale. */
    leaseUntil: z.iso.datetime({ offset: true }),
    attempt: z.number().int().positive(),
    request: HttpRequest,
    timeoutMs: z.number().int().positive(),
    responseCapBytes: z.number().int().nonnegative(),
    /** W3C trace context of the dispatch span; the call continues the trace. */
    traceparent: z.string().optional(),
  }),
} as const;

export type QueueName = keyof typeof jobCatalogue;
export type JobPayload<Q extends QueueName> = z.output<(typeof jobCatalogue)[Q]>;
