import { z } from 'zod';

const Id = z.string().min(1);
const Instant = z.iso.datetime({ offset: true });

/** How a session ended. Only `completed` applies anything. */
export const SessionOutcome = z.enum([
  /** The planner finished; its proposals were decided by the arbiter. */
  'completed',
  /** The model API failed (after retries), or the model broke the protocol: nothing applied. */
  'failed',
  /** The model used every step without submitting: nothing applied. */
  'step_limit',
  /** The tenant's analysis budget was spent: no analysis ran. */
  'refused',
]);
export type SessionOutcome = z.infer<typeof SessionOutcome>;

/** One proposal of a session and what the arbiter made of it. */
export const SessionProposal = z.strictObject({
  proposalId: Id,
  targetEndpointId: Id,
  kind: z.enum(['interval', 'oneShot', 'pause', 'clear']),
  /** `not_applied`: the session did not complete, so the proposal was never decided. */
  outcome: z.enum(['accepted', 'rejected', 'not_applied']),
  rule: z.string().optional(),
  detail: z.string().max(2000).optional(),
});
export type SessionProposal = z.infer<typeof SessionProposal>;

/** One tool call of a model session, as the model made it and as the tool answered. */
export const ToolCallRecord = z.strictObject({
  name: z.string().max(200),
  input: z.unknown(),
  /** The answer, truncated for the record. */
  output: z.string().max(4000),
  isError: z.boolean().default(false),
});
export type ToolCallRecord = z.infer<typeof ToolCallRecord>;

export const TokenUsage = z.strictObject({
  inputTokens: z.number().int().nonnegative().default(0),
  outputTokens: z.number().int().nonnegative().default(0),
  cacheReadTokens: z.number().int().nonnegative().default(0),
  cacheWriteTokens: z.number().int().nonnegative().default(0),
  modelCalls: z.number().int().nonnegative().default(0),
});
export type TokenUsage = z.infer<typeof TokenUsage>;

export const PlannerSessionData = z.strictObject({
  sessionId: Id,
  /** The analysed endpoint and its job. */
  endpointId: Id,
  jobId: Id,
  planner: z.enum(['heuristic', 'claude']),
  model: z.string().optional(),
  /** The response that started it (the latest of those the debounce gathered). */
  trigger: z.strictObject({ runId: Id, position: z.number().int().nonnegative() }),
  /** The log position its context was read at: its proposals are judged stale against it. */
  basedOnPosition: z.number().int().nonnegative(),
  startedAt: Instant,
  durationMs: z.number().nonnegative(),
  outcome: SessionOutcome,
  /** Why it failed or was refused. */
  detail: z.string().max(2000).optional(),
  /** The planner's account of what it saw and why it proposed what it did. */
  reasoning: z.string().max(8000).default(''),
  proposals: z.array(SessionProposal).max(64).default([]),
  toolCalls: z.array(ToolCallRecord).max(64).default([]),
  usage: TokenUsage.prefault({}),
});
export type PlannerSessionData = z.output<typeof PlannerSessionData>;
export type PlannerSessionInput = z.input<typeof PlannerSessionData>;
