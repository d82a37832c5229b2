import { z } from 'zod';
import { Instant, responseBody } from './common.js';
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

const packStream = { streamId: 'endpoint-default.demo-pack', subject: 'demo-pack' };

export const HistorySchema = responseBody(
  z.object({
    target: z.object({ kind: z.enum(['endpoint', 'job']), id: z.string() }),
    entries: z.array(HistoryEntrySchema).describe('Oldest first'),
    more: z.boolean().describe('Whether earlier entries of the window were left out (`limit`)'),
  }),
  'History',
  [
    {
      target: { kind: 'endpoint', id: 'demo-pack' },
      entries: [
        {
          type: 'RunDispatched',
          position: 1151,
          recordedAt: '2026-03-02T08:59:57.064Z',
          ...packStream,
          actor: { kind: 'system', id: 'dispatcher-4127' },
          causationId: 'run-demo-orders-mm8y79oo',
          summary:
            'run run-demo-pack-c1i dispatched (cascade from demo-orders run ' +
            'run-demo-orders-mm8y79oo (demo-orders → demo-pack)), slot ' +
            '2026-03-02T08:59:57.061Z, 3 ms late',
          data: {
            runId: 'run-demo-pack-c1i',
            scheduledFor: '2026-03-02T08:59:57.061Z',
            dispatchedAt: '2026-03-02T08:59:57.064Z',
            leaseUntil: '2026-03-02T09:00:22.064Z',
            attempt: 1,
            reason: 'cascade',
            cascade: {
              root: 'run-demo-orders-mm8y79oo',
              depth: 1,
              chain: ['demo-orders', 'demo-pack'],
            },
          },
        },
        {
          type: 'Paused',
          position: 1160,
          recordedAt: '2026-03-02T09:03:18.420Z',
          ...packStream,
          actor: { kind: 'user', id: 'key:3be2c1d0a9f4' },
          causationId: null,
          summary: 'paused indefinitely (until resumed) — the packing line is being moved',
          data: { until: null, reason: 'the packing line is being moved' },
        },
      ],
      more: true,
    },
  ],
);
