import { z } from 'zod';
import { ArbiterPolicy, defaultArbiterPolicy } from '../arbiter/policy.js';

/**
 * A job's planner settings. `backend: auto` uses Claude when the planner service has an API key
 * and the heuristic otherwise. `policy` is the arbiter's limits for the job's endpoints (and for
 * proposals its planner makes for downstreams in other jobs, the target job's policy applies).
 */
export const PlannerSettings = z.strictObject({
  enabled: z.boolean().default(true),
  backend: z.enum(['auto', 'heuristic', 'claude']).default('auto'),
  policy: ArbiterPolicy.prefault({}),
});
export type PlannerSettings = z.output<typeof PlannerSettings>;
export type PlannerSettingsInput = z.input<typeof PlannerSettings>;

/** What a job without planner settings gets. */
export const defaultPlannerSettings: PlannerSettings = {
  enabled: true,
  backend: 'auto',
  policy: defaultArbiterPolicy,
};
