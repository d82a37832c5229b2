import type { Counter, Meter } from '@opentelemetry/api';
import type { PlannerBackend, SessionOutcome, TokenUsage } from '@orrery/domain';

/** The planner's figures: sessions by outcome, and the model's tokens. */
export const PLANNER_METRICS = {
  /** Sessions by `orrery.planner.backend` and `orrery.planner.outcome`. */
  sessions: 'orrery.planner.sessions',
  /**
   * Model tokens by `orrery.planner.backend` and `gen_ai.token.type` (`input`, `output`). Input
   * includes the prompt cache's reads and writes, as the OpenTelemetry GenAI conventions count
   * input tokens (the Messages API reports them apart from `input_tokens`).
   */
  tokens: 'orrery.planner.tokens',
} as const;

export const PLANNER_ATTRIBUTES = {
  /** `heuristic` or `claude`. */
  backend: 'orrery.planner.backend',
  /** `completed`, `failed`, `step_limit`, `refused` (the tenant's analysis budget was spent). */
  outcome: 'orrery.planner.outcome',
  /** The OpenTelemetry GenAI convention's token type. */
  tokenType: 'gen_ai.token.type',
} as const;

/**
 * Counts planner sessions and tokens, through an injected meter.
 *
 * @example
 * const metrics = new PlannerMetrics(instrumentation.meter);
 * metrics.session(backend, result.outcome, result.usage);
 */
export class PlannerMetrics {
  readonly #sessions: Counter;
  readonly #tokens: Counter;

  constructor(meter: Meter) {
    this.#sessions = meter.createCounter(PLANNER_METRICS.sessions, {
      description: 'Planner sessions by planner and outcome',
      unit: '{session}',
    });
    this.#tokens = meter.createCounter(PLANNER_METRICS.tokens, {
      description: 'Tokens the model planner used, input and output',
      unit: '{token}',
    });
  }

  /** A session ended in `outcome`, having used `usage` (none for the heuristic). */
  session(backend: Pick<PlannerBackend, 'name'>, outcome: SessionOutcome, usage: TokenUsage): void {
    const A = PLANNER_ATTRIBUTES;
    const planner = { [A.backend]: backend.name };
    this.#sessions.add(1, { ...planner, [A.outcome]: outcome });
    const input = usage.inputTokens + usage.cacheReadTokens + usage.cacheWriteTokens;
    if (input > 0) this.#tokens.add(input, { ...planner, [A.tokenType]: 'input' });
    if (usage.outputTokens > 0)
      this.#tokens.add(usage.outputTokens, { ...planner, [A.tokenType]: 'output' });
  }
}
