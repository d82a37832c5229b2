import { HintSlot, HintSource, RunOutcome } from '@orrery/domain';
import { z } from 'zod';
import { Instant, responseBody } from './common.js';
import { intervalHintExample, oneShotHintExample } from './endpoint-examples.js';

/** The hints answers show, and what a test run answers (the answers of the hints routes). */

const hintCommon = {
  hintId: z.string(),
  source: HintSource,
  sourceId: z.string(),
  expiresAt: Instant,
  reason: z.string(),
};

const intervalHint = z.object({
  kind: z.literal('interval'),
  intervalMs: z.number().int(),
  ...hintCommon,
  clamped: z
    .object({ requested: z.number(), applied: z.number(), bound: z.enum(['min', 'max']) })
    .optional()
    .describe('Present when the requested interval was clamped to the endpoint bounds'),
});
export type IntervalHintView = z.infer<typeof intervalHint>;

const oneShotHint = z.object({ kind: z.literal('oneShot'), runAt: Instant, ...hintCommon });
export type OneShotHintView = z.infer<typeof oneShotHint>;

export const IntervalHintSchema = responseBody(intervalHint, 'IntervalHint', [intervalHintExample]);
export const OneShotHintSchema = responseBody(oneShotHint, 'OneShotHint', [oneShotHintExample]);

export const HintSchema = responseBody(
  z.discriminatedUnion('kind', [IntervalHintSchema, OneShotHintSchema]),
  'Hint',
  [intervalHintExample, oneShotHintExample],
);
export type HintView = z.infer<typeof HintSchema>;

export const ClearedHintsSchema = responseBody(
  z.object({ cleared: z.array(HintSlot).describe('The slots that held a hint') }),
  'ClearedHints',
  [{ cleared: ['interval'] }],
);

export const RunErrorSchema = z
  .object({
    kind: z.enum(['timeout', 'network', 'too_large', 'refused', 'internal', 'template']),
    message: z.string(),
  })
  .meta({ id: 'RunError' });

export const TestRunResultSchema = responseBody(
  z.object({
    runId: z.string(),
    startedAt: Instant,
    finishedAt: Instant,
    status: z.number().int().nullable().describe('HTTP status; null when no response arrived'),
    ok: z.boolean(),
    durationMs: z.number(),
    headers: z.record(z.string(), z.string()).describe('A lower-cased subset'),
    body: z.unknown().describe('JSON when the answer was complete JSON, else text'),
    bodyTruncated: z.boolean(),
    error: RunErrorSchema.optional(),
    outcome: RunOutcome.describe("What became of the call, as a run's `outcome` says it"),
  }),
  'TestRunResult',
  [
    {
      runId: 'test-0b8e2f4c-6d1a-4e93-b7c5-3f2a9d8e1c60',
      startedAt: '2026-03-02T09:02:40.118Z',
      finishedAt: '2026-03-02T09:02:40.164Z',
      status: 200,
      ok: true,
      durationMs: 46,
      headers: { 'content-type': 'application/json' },
      body: { new: 2, batch_id: 'b417', request_immediate_check: true },
      bodyTruncated: false,
      outcome: 'succeeded',
    },
  ],
);
