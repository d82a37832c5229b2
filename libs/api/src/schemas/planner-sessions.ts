import { ProposalKind, SessionOutcome } from '@orrery/domain';
import { z } from 'zod';
import { Id, Instant, PageQuery } from './common.js';
import { sinceBeforeUntil, sinceBeforeUntilError } from './conflicts.js';

/** Session ids are chosen by the planner (a UUID, or a name made of its trigger). */
export const PlannerSessionParams = z.strictObject({
  sessionId: z
    .string()
    .regex(/^[A-Za-z0-9][A-Za-z0-9_.:-]{0,199}$/, 'letters, digits, ., :, _ and -, at most 200'),
});

export const PlannerSessionsQuery = PageQuery.extend({
  job: Id.optional().describe('Only sessions that analysed an endpoint of this job'),
  endpoint: Id.optional().describe('Only sessions that analysed this endpoint'),
  outcome: SessionOutcome.optional().describe('Only sessions that ended so'),
  since: Instant.optional().describe('Started at or after this instant (not after `until`)'),
  until: Instant.optional().describe('Started before this instant (not before `since`)'),
}).refine(sinceBeforeUntil, sinceBeforeUntilError);

const outcomeDoc =
  'How the session ended: `completed` (its proposals went to the arbiter), `failed` (the model ' +
  'API failed or broke the protocol: nothing applied), `step_limit` (the model used every step ' +
  "without submitting: nothing applied), `refused` (the tenant's analysis budget was spent: no " +
  'analysis ran)';

const summaryShape = {
  sessionId: z.string(),
  endpointId: z.string().describe('The analysed endpoint'),
  jobId: z.string().describe('Its job'),
  planner: z.enum(['heuristic', 'claude']),
  model: z.string().nullable().describe('The model a Claude session used'),
  outcome: SessionOutcome.describe(outcomeDoc),
  startedAt: Instant,
  durationMs: z.number(),
  proposalCount: z.number().int().describe('Proposals made'),
  accepted: z.number().int().describe('Proposals the arbiter accepted'),
  rejected: z.number().int().describe('Proposals the arbiter refused (see GET /v1/conflicts)'),
  tokens: z
    .object({ input: z.number().int(), output: z.number().int() })
    .describe('Model tokens spent (0 for the heuristic)'),
  position: z.number().int().describe("The session record's position in the log"),
  recordedAt: Instant,
};

const summaryExample = {
  sessionId: 'session-7f3a',
  endpointId: 'poll-payments',
  jobId: 'partner-feeds',
  planner: 'claude' as const,
  model: 'claude-sonnet-4-5',
  outcome: 'completed' as const,
  startedAt: '2031-03-01T06:12:04.100Z',
  durationMs: 5210,
  proposalCount: 1,
  accepted: 0,
  rejected: 1,
  tokens: { input: 5820, output: 412 },
  position: 1045,
  recordedAt: '2031-03-01T06:12:09.412Z',
};

export const PlannerSessionSummarySchema = z.object(summaryShape).meta({
  id: 'PlannerSessionSummary',
  description: 'One planner session, summarised',
  examples: [summaryExample],
});
export type PlannerSessionSummaryView = z.infer<typeof PlannerSessionSummarySchema>;

const SessionProposalSchema = z.object({
  proposalId: z.string(),
  targetEndpointId: z.string().describe('The analysed endpoint, or a downstream of it'),
  kind: ProposalKind,
  outcome: z
    .enum(['accepted', 'rejected', 'not_applied'])
    .describe('`not_applied`: the session did not complete, so it was never decided'),
  rule: z.string().nullable().describe('The rule that refused it'),
  detail: z.string().nullable(),
});

export const PlannerSessionSchema = z
  .object({
    ...summaryShape,
    trigger: z
      .object({ runId: z.string(), position: z.number().int() })
      .describe('The response that started the session'),
    basedOnPosition: z
      .number()
      .int()
      .describe('The log position its context was read at (its proposals are judged against it)'),
    detail: z.string().nullable().describe('Why it failed or was refused'),
    reasoning: z.string().describe("The planner's account of what it saw and why it proposed"),
    proposals: z.array(SessionProposalSchema).describe('Each proposal and its outcome'),
    toolCalls: z
      .array(
        z.object({
          name: z.string(),
          input: z.unknown(),
          output: z.string().describe('The answer, truncated for the record'),
          isError: z.boolean(),
        }),
      )
      .describe('The tool calls of a model session, in order'),
    usage: z.object({
      inputTokens: z.number().int(),
      outputTokens: z.number().int(),
      cacheReadTokens: z.number().int(),
      cacheWriteTokens: z.number().int(),
      modelCalls: z.number().int(),
    }),
  })
  .meta({
    id: 'PlannerSession',
    description: 'One planner session as recorded: its reasoning, tool calls, usage and outcomes',
    examples: [
      {
        ...summaryExample,
        trigger: { runId: 'run-poll-payments-1930732320000', position: 1039 },
        basedOnPosition: 1041,
        detail: null,
        reasoning:
          'Three timeouts in a row since 06:00 while the provider answers 200 elsewhere: ' +
          'polling faster for ten minutes should catch the settlement file as it lands.',
        proposals: [
          {
            proposalId: 'session-7f3a-1',
            targetEndpointId: 'poll-payments',
            kind: 'interval' as const,
            outcome: 'rejected' as const,
            rule: 'precedence',
            detail: 'a live user hint (h-41) outranks a planner proposal',
          },
        ],
        toolCalls: [
          {
            name: 'recent_runs',
            input: { limit: 5 },
            output: '[{"status":200,"durationMs":812}, …]',
            isError: false,
          },
        ],
        usage: {
          inputTokens: 5820,
          outputTokens: 412,
          cacheReadTokens: 0,
          cacheWriteTokens: 0,
          modelCalls: 2,
        },
      },
    ],
  });
export type PlannerSessionView = z.infer<typeof PlannerSessionSchema>;
