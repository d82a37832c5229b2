import { fail, ok, type Result } from '../errors.js';
import {
  defaultPlannerSettings,
  PlannerSettings,
  type PlannerSettingsInput,
} from '../planner/settings.js';

const isRecord = (value: unknown): value is Record<string, unknown> =>
  typeof value === 'object' && value !== null && !Array.isArray(value);

/** `patch` laid over `base`, member by member: what the patch leaves out keeps its value. */
function overlay(base: unknown, patch: unknown): unknown {
  if (patch === undefined) return base;
  if (!isRecord(base) || !isRecord(patch)) return patch;
  const merged: Record<string, unknown> = { ...base };
  for (const [key, value] of Object.entries(patch)) merged[key] = overlay(base[key], value);
  return merged;
}

/**
 * A job's planner settings as a command asks for them, validated: `input` laid over `base`
 * (fields it leaves out keep the base's value; with no base, the defaults). A value out of its
 * bounds is a validation error naming the field (`planner.policy.antiThrash.maxChanges`).
 *
 * @example
 * settlePlannerSettings({ backend: 'heuristic' }, current) // → ok({...current, backend: 'heuristic'})
 */
export function settlePlannerSettings(
  input: PlannerSettingsInput,
  base: PlannerSettings = defaultPlannerSettings,
): Result<PlannerSettings> {
  const parsed = PlannerSettings.safeParse(overlay(base, input));
  if (parsed.success) return ok(parsed.data);
  const issue = parsed.error.issues[0];
  const field = ['planner', ...(issue?.path ?? []).map(String)].join('.');
  return fail('validation', `${field}: ${issue?.message ?? 'invalid planner settings'}`, {
    field,
  });
}
