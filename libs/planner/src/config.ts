import { envInt } from '@orrery/service-kit';
import type { Logger } from 'pino';
import { z } from 'zod';
import type { Instrumentation } from '@orrery/telemetry';
import { createClaudeBackend, DEFAULT_CLAUDE_MODEL } from './claude/index.js';
import type { PlannerServiceOptions } from './start-planner.js';

const blankIsUnset = <T extends z.ZodType>(schema: T) =>
  z.preprocess((v) => (typeof v === 'string' && v.trim() === '' ? undefined : v), schema);

/**
 * The planner's environment, shared by the planner service and embedded mode. Without
 * ANTHROPIC_API_KEY every job uses the heuristic.
 */
export const plannerEnv = {
  ANTHROPIC_API_KEY: blankIsUnset(z.string().min(1).optional()),
  /** Another Messages API endpoint (a proxy, or a test's fake). */
  ANTHROPIC_BASE_URL: blankIsUnset(z.url().optional()),
  PLANNER_MODEL: z.string().min(1).default(DEFAULT_CLAUDE_MODEL),
  /** Model calls per session before it ends as `step_limit`. */
  PLANNER_MAX_STEPS: envInt(8, 1, 64),
  /** max_tokens of each model call. */
  PLANNER_MAX_TOKENS: envInt(1024, 64, 64_000),
  /** Input + output tokens per session before it ends as failed. */
  PLANNER_SESSION_TOKENS: envInt(50_000, 1_000, 10_000_000),
  PLANNER_DEBOUNCE_MS: envInt(1_000, 0, 3_600_000),
  PLANNER_CONCURRENCY: envInt(4, 1, 64),
  PLANNER_SHARDS: envInt(1, 1, 64),
  /** The analysis budget per tenant over PLANNER_BUDGET_WINDOW_MS: model sessions and tokens. */
  PLANNER_BUDGET_SESSIONS: envInt(600, 0),
  PLANNER_BUDGET_TOKENS: envInt(2_000_000, 0),
  PLANNER_BUDGET_WINDOW_MS: envInt(3_600_000, 60_000, 31 * 24 * 3_600_000),
};

export type PlannerEnv = z.output<z.ZodObject<typeof plannerEnv>>;

/** The planner's options from its parsed environment. */
export function plannerOptionsFromEnv(
  env: PlannerEnv,
  log: Logger,
  instrumentation?: Instrumentation,
): Omit<PlannerServiceOptions, 'connectionString' | 'log'> {
  const apiKey = env.ANTHROPIC_API_KEY;
  const baseURL = env.ANTHROPIC_BASE_URL;
  return {
    ...(apiKey
      ? {
          claude: createClaudeBackend({
            apiKey,
            ...(baseURL ? { baseURL } : {}),
            model: env.PLANNER_MODEL,
            maxSteps: env.PLANNER_MAX_STEPS,
            maxTokens: env.PLANNER_MAX_TOKENS,
            maxSessionTokens: env.PLANNER_SESSION_TOKENS,
            log: log.child({ component: 'claude' }),
            ...(instrumentation ? { instrumentation } : {}),
          }),
        }
      : {}),
    debounceMs: env.PLANNER_DEBOUNCE_MS,
    concurrency: env.PLANNER_CONCURRENCY,
    shards: env.PLANNER_SHARDS,
    budget: {
      windowMs: env.PLANNER_BUDGET_WINDOW_MS,
      sessions: env.PLANNER_BUDGET_SESSIONS,
      tokens: env.PLANNER_BUDGET_TOKENS,
    },
  };
}
