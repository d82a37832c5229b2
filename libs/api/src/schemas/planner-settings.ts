import { ArbiterPolicy, PlannerSettings } from '@orrery/domain';
import { z } from 'zod';

const settings = PlannerSettings.shape;
const policy = ArbiterPolicy.shape;
const antiThrash = policy.antiThrash.unwrap().shape;
const budget = policy.budget.unwrap().shape;

const doc = {
  enabled: 'Whether the planner analyses the endpoints of the job (default true)',
  backend:
    '`auto` (the default) uses Claude when the planner service has an API key and the ' +
    'heuristic otherwise; `heuristic` and `claude` force one',
  policy:
    "The arbiter's limits for the job's endpoints: they apply to every proposal for them, " +
    "whichever job's planner made it",
  antiThrash:
    'Automated proposals that turn the interval (faster ↔ slower) more than `maxChanges` times ' +
    'in `windowMs` are refused, and every turn after that for `cooldownMs`',
  windowMs: 'The window, in ms (default 30 min)',
  maxChanges: 'Direction changes accepted in the window (default 4)',
  cooldownMs: 'How long turns are refused after a refused one, in ms (default 30 min)',
  budget: 'Planner-induced extra runs accepted per window',
  budgetWindowMs: 'The window, in ms (default 1 h)',
  perEndpoint: 'Extra runs per endpoint in the window (default 120)',
  perJob: 'Extra runs per job in the window (default 1,000)',
  maxPlannerPauseMs:
    'The longest pause a planner may propose, in ms; longer ones are clamped (default 24 h)',
};

/**
 * Planner settings as a request gives them: every field optional, no defaults applied here. On
 * create the fields left out take the defaults; on update they keep the job's current value.
 */
export const PlannerSettingsSpecSchema = z
  .strictObject({
    enabled: settings.enabled.unwrap().optional().describe(doc.enabled),
    backend: settings.backend.unwrap().optional().describe(doc.backend),
    policy: z
      .strictObject({
        antiThrash: z
          .strictObject({
            windowMs: antiThrash.windowMs.unwrap().optional().describe(doc.windowMs),
            maxChanges: antiThrash.maxChanges.unwrap().optional().describe(doc.maxChanges),
            cooldownMs: antiThrash.cooldownMs.unwrap().optional().describe(doc.cooldownMs),
          })
          .optional()
          .describe(doc.antiThrash),
        budget: z
          .strictObject({
            windowMs: budget.windowMs.unwrap().optional().describe(doc.budgetWindowMs),
            perEndpoint: budget.perEndpoint.unwrap().optional().describe(doc.perEndpoint),
            perJob: budget.perJob.unwrap().optional().describe(doc.perJob),
          })
          .optional()
          .describe(doc.budget),
        maxPlannerPauseMs: policy.maxPlannerPauseMs
          .unwrap()
          .optional()
          .describe(doc.maxPlannerPauseMs),
      })
      .optional()
      .describe(doc.policy),
  })
  .meta({
    id: 'PlannerSettingsSpec',
    description:
      "How the planner steers the job's endpoints. Every field is optional: on create the " +
      "fields left out take the defaults, on update they keep the job's current value",
  });

/** A job's planner settings as answers show them: every field, the defaults filled in. */
export const PlannerSettingsSchema = z
  .object({
    enabled: z.boolean().describe(doc.enabled),
    backend: settings.backend.unwrap().describe(doc.backend),
    policy: z
      .object({
        antiThrash: z
          .object({
            windowMs: z.number().int().describe(doc.windowMs),
            maxChanges: z.number().int().describe(doc.maxChanges),
            cooldownMs: z.number().int().describe(doc.cooldownMs),
          })
          .describe(doc.antiThrash),
        budget: z
          .object({
            windowMs: z.number().int().describe(doc.budgetWindowMs),
            perEndpoint: z.number().int().describe(doc.perEndpoint),
            perJob: z.number().int().describe(doc.perJob),
          })
          .describe(doc.budget),
        maxPlannerPauseMs: z.number().int().describe(doc.maxPlannerPauseMs),
      })
      .describe(doc.policy),
  })
  .meta({
    id: 'PlannerSettings',
    description: "How the planner steers the job's endpoints (the defaults unless set)",
  });
export type PlannerSettingsView = z.infer<typeof PlannerSettingsSchema>;
