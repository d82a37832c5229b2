import { z } from 'zod';
import { HttpRequest } from './endpoint/config.js';
import { CascadeContext } from './events/catalogue.js';

/**
 * The queue catalogue: every queue and the zod schema of its messages, in one place. (Queue
 * messages are what BullMQ calls jobs; in Orrery a job is a user's group of endpoints.)
 * Payloads are parsed when dequeued; a payload that fails its schema is a broken producer,
 * reported and never retried.
 */
export const queueCatalogue = {
  /** One HTTP call of a dispatched run. Message id = `<tenant>.<run id>`. */
  execute: z.strictObject({
    runId: z.string().min(1),
    endpointId: z.string().min(1),
    tenantId: z.string().min(1),
    scheduledFor: z.iso.datetime({ offset: true }),
    dispatchedAt: z.iso.datetime({ offset: true }),
    /**
     * A run dispatched ahead: the call starts at this time (RunDispatched.startAt). The executor
     * never starts a call before `scheduledFor`, nor before this when it is set.
     */
    startAt: z.iso.datetime({ offset: true }).optional(),
    /** After this the run counts as lost and is dispatched again: a job still queued then is stale. */
    leaseUntil: z.iso.datetime({ offset: true }),
    attempt: z.number().int().positive(),
    request: HttpRequest,
    timeoutMs: z.number().int().positive(),
    responseCapBytes: z.number().int().nonnegative(),
    /** W3C trace context of the dispatch span; the call continues the trace. */
    traceparent: z.string().optional(),
    /** A cascade's run: its causation chain, recorded with the response. */
    cascade: CascadeContext.optional(),
    /**
     * Why it was dispatched (RunDispatched.reason: `baseline_interval`, `one_shot_hint`, …), for
     * the run's log line. Absent in messages queued by older dispatchers.
     */
    reason: z.string().min(1).optional(),
  }),
} as const;

export type QueueName = keyof typeof queueCatalogue;
export type QueuePayload<Q extends QueueName> = z.output<(typeof queueCatalogue)[Q]>;
