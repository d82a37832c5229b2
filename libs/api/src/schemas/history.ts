import { z } from 'zod';
import { Instant } from './common.js';
import { ActorKindSchema } from './events.js';

/** `?since=&until=&limit=`: a window of the timeline, the latest `limit` entries of it. */
export const HistoryQuery = z
  .strictObject({
    since: Instant.optional().describe('Entries recorded at or after this instant'),
    until: Instant.optional().describe('Entries recorded before this instant (not before since)'),
    limit: z.coerce
      .number()
      .int()
      .min(1)
      .max(1000)
      .default(100)
      .describe('The latest this many entries of the window'),
  })
  .refine(
    (q) =>
      q.since === undefined || q.until === undefined || Date.parse(q.since) <= Date.parse(q.until),
    { message: 'must not be before since', path: ['until'] },
  );

const HistoryEntrySchema = z
  .object({
    type: z.string().describe('The event type'),
    position: z.number().int(),
    recordedAt: Instant,
    streamId: z.string(),
    subject: z.string().describe('What the stream is about: `<endpointId>`, `job <jobId>`, …'),
    actor: z.object({ kind: ActorKindSchema, id: z.string() }),
    causationId: z.string().nullable().describe('The run or event that caused it, when recorded'),
    summary: z.string().describe('The event in words'),
    data: z.record(z.string(), z.unknown()).describe('The event data, secret values as "***"'),
  })
  .meta({ id: 'HistoryEntry' });

export const HistorySchema = z
  .object({
    target: z.object({ kind: z.enum(['endpoint', 'job']), id: z.string() }),
    entries: z.array(HistoryEntrySchema).describe('Oldest first'),
    more: z.boolean().describe('Whether earlier entries of the window were left out (`limit`)'),
  })
  .meta({ id: 'History' });
