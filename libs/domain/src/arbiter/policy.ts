import { z } from 'zod';
import { MAX_DURATION_MS } from '../limits.js';

const MINUTE = 60_000;
const HOUR = 60 * MINUTE;
const Duration = z.number().int().positive().max(MAX_DURATION_MS);

/** The largest anti-thrash limit a policy may set (the state remembers as many changes). */
export const MAX_ANTI_THRASH_CHANGES = 1000;

/**
 * The arbiter's limits for one job (its planner settings carry it). Users are exempt from
 * anti-thrash and budget: a person in charge may change their mind as often as they like.
 *
 * Defaults: 4 direction changes of the interval per 30 min, then 30 min of cooldown; 120
 * planner-induced extra runs per endpoint and 1,000 per job per hour; a planner pause of at
 * most 24 h.
 */
export const ArbiterPolicy = z.strictObject({
  antiThrash: z
    .strictObject({
      windowMs: Duration.default(30 * MINUTE),
      /** Direction changes (faster ↔ slower) accepted in the window. */
      maxChanges: z.number().int().min(1).max(MAX_ANTI_THRASH_CHANGES).default(4),
      /** After a refused change, every change is refused this long. */
      cooldownMs: Duration.default(30 * MINUTE),
    })
    .prefault({}),
  budget: z
    .strictObject({
      windowMs: Duration.default(HOUR),
      /** Planner-induced extra runs per endpoint in the window. */
      perEndpoint: z.number().int().min(0).max(1_000_000).default(120),
      /** Planner-induced extra runs per job in the window. */
      perJob: z.number().int().min(0).max(10_000_000).default(1000),
    })
    .prefault({}),
  /** The longest pause a planner may propose; longer ones are clamped (and the clamp recorded). */
  maxPlannerPauseMs: Duration.default(24 * HOUR),
});
export type ArbiterPolicy = z.output<typeof ArbiterPolicy>;
export type ArbiterPolicyInput = z.input<typeof ArbiterPolicy>;

export const defaultArbiterPolicy: ArbiterPolicy = ArbiterPolicy.parse({});
