import Anthropic from '@anthropic-ai/sdk';
import type { PlannerBackend } from '@orrery/domain';
import type { Logger } from 'pino';
import { noopInstrumentation, type Instrumentation } from '@orrery/telemetry';
import { z } from 'zod';
import { runSession } from './claude-session.js';

/** The model a session uses unless told otherwise. */
export const DEFAULT_CLAUDE_MODEL = 'claude-sonnet-5-5';

/** Options of {@link createClaudeBackend}. Only `apiKey` is required. */
export interface ClaudeBackendOptions {
  /** The Anthropic API key. */
  readonly apiKey: string;
  /** The API's base URL (default: the SDK's, `https://api.anthropic.com`). Tests point it at a fake. */
  readonly baseURL?: string;
  /** The model id (default {@link DEFAULT_CLAUDE_MODEL}). */
  readonly model?: string;
  /** Model calls per session (default 8). A session that has not submitted by then ends as `step_limit`. */
  readonly maxSteps?: number;
  /** `max_tokens` of each model call (default 1024). */
  readonly maxTokens?: number;
  /**
   * Tokens one session may make the API process, input (cached or not) plus output, summed over
   * its calls (default 50,000). A session beyond it ends as `failed`.
   */
  readonly maxSessionTokens?: number;
  /** Timeout of one HTTP request to the API, in ms (default 30,000). */
  readonly timeoutMs?: number;
  /**
   * Retries of one model call by the SDK, with exponential backoff (0.5 s doubling to 8 s, or
   * the server's `retry-after`), on 408, 409, 429, 5xx (529 included), timeouts and connection
   * errors (default 2).
   */
  readonly maxRetries?: number;
  /** Where sessions that do not complete, and the SDK's own warnings, are logged. */
  readonly log?: Logger;
  /** Each model call is a span (`chat <model>`, GenAI conventions); default: no-ops. */
  readonly instrumentation?: Instrumentation;
}

const Options = z.object({
  apiKey: z.string().min(1),
  baseURL: z.url().optional(),
  model: z.string().min(1).default(DEFAULT_CLAUDE_MODEL),
  maxSteps: z.number().int().min(1).max(32).default(8),
  maxTokens: z.number().int().min(1).max(64_000).default(1024),
  maxSessionTokens: z.number().int().min(1).default(50_000),
  timeoutMs: z.number().int().min(1).default(30_000),
  maxRetries: z.number().int().min(0).max(10).default(2),
});

/**
 * The Claude planner backend: one session is a tool-use loop over the Messages API in which the
 * model reads the endpoint's context, may ask for more history, drafts proposals (each answered
 * with the arbiter's dry run), and ends with `submit_analysis`. It proposes; it never writes.
 *
 * `plan` never throws for API failures, protocol breaches or limits: they are outcomes
 * (`failed`, `step_limit`) with a detail, and only `completed` results are to be applied. An
 * aborted `signal` ends the session as `failed` with detail `aborted`.
 *
 * @example
 * const planner = createClaudeBackend({ apiKey: process.env.ANTHROPIC_API_KEY!, log });
 * const result = await planner.plan({ context, tools, signal });
 * if (result.outcome === 'completed') apply(result.proposals);
 */
export function createClaudeBackend(options: ClaudeBackendOptions): PlannerBackend {
  const { log, instrumentation, ...rest } = options;
  const { apiKey, baseURL, maxRetries, ...limits } = Options.parse(rest);
  const client = new Anthropic({
    apiKey,
    ...(baseURL === undefined ? {} : { baseURL }),
    timeout: limits.timeoutMs,
    maxRetries,
    ...(log === undefined ? {} : { logger: log.child({ component: 'anthropic-sdk' }) }),
  });
  const settings = {
    ...limits,
    tracer: (instrumentation ?? noopInstrumentation).tracer,
    ...(log === undefined ? {} : { log }),
  };
  return {
    name: 'claude',
    plan: (input) => runSession(client, settings, input),
  };
}
