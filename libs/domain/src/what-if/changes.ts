import { z } from 'zod';
import { ArbiterPolicy } from '../arbiter/policy.js';
import { Baseline, EndpointConfig } from '../endpoint/config.js';
import { fail, ok, type Result } from '../errors.js';
import { DependencySpec } from '../graph/edge.js';

const Id = z.string().regex(/^[A-Za-z0-9][A-Za-z0-9_-]{0,63}$/, 'letters, digits, _ and -');
const config = EndpointConfig.shape;
const backoff = config.backoff.unwrap().shape;
const policy = ArbiterPolicy.shape;
const antiThrash = policy.antiThrash.unwrap().shape;
const budget = policy.budget.unwrap().shape;

/** Most endpoints, edges or jobs one what-if may change. */
export const MAX_WHAT_IF_CHANGES = 64;

/**
 * What a what-if changes in one endpoint's config, laid over the config it had (at the start of
 * the window, and again after each reconfiguration recorded in it). `maxIntervalMs: null` removes
 * the bound. The result must be a valid config (`maxIntervalMs` at least `minIntervalMs`).
 */
export const EndpointOverride = z.strictObject({
  baseline: Baseline.optional(),
  minIntervalMs: config.minIntervalMs.unwrap().optional(),
  maxIntervalMs: config.maxIntervalMs.unwrap().nullable().optional(),
  jitterMs: config.jitterMs.unwrap().optional(),
  backoff: z
    .strictObject({
      factor: backoff.factor.unwrap().optional(),
      maxMs: backoff.maxMs.unwrap().optional(),
    })
    .optional(),
});
export type EndpointOverride = z.output<typeof EndpointOverride>;

/** An arbiter policy change for one job, laid over its recorded policy field by field. */
export const PolicyOverride = z.strictObject({
  antiThrash: z
    .strictObject({
      windowMs: antiThrash.windowMs.unwrap().optional(),
      maxChanges: antiThrash.maxChanges.unwrap().optional(),
      cooldownMs: antiThrash.cooldownMs.unwrap().optional(),
    })
    .optional(),
  budget: z
    .strictObject({
      windowMs: budget.windowMs.unwrap().optional(),
      perEndpoint: budget.perEndpoint.unwrap().optional(),
      perJob: budget.perJob.unwrap().optional(),
    })
    .optional(),
  maxPlannerPauseMs: policy.maxPlannerPauseMs.unwrap().optional(),
});
export type PolicyOverride = z.output<typeof PolicyOverride>;

/** An edge the what-if adds: a dependency spec and the (simulated) endpoint that declares it. */
export const AddedEdge = DependencySpec.safeExtend({ downstream: Id });
export type AddedEdge = z.output<typeof AddedEdge>;

/** `<upstream>.<downstream>`. */
export const EdgeIdText = z
  .string()
  .regex(
    /^[A-Za-z0-9][A-Za-z0-9_-]{0,63}\.[A-Za-z0-9][A-Za-z0-9_-]{0,63}$/,
    'an edge id is <upstream>.<downstream>',
  );

const few = <T extends z.ZodType>(item: T) => z.array(item).max(MAX_WHAT_IF_CHANGES);
const fewKeys = (record: Record<string, unknown>) =>
  Object.keys(record).length <= MAX_WHAT_IF_CHANGES;

/**
 * Everything a what-if may change: per endpoint config overrides, edges added and removed (from
 * the start of the window on; a recorded declaration or removal of one of them in the window is
 * ignored), the arbiter policy per job, and the planner (`off`: its recorded proposals are
 * dropped instead of decided again).
 */
export const WhatIfChanges = z.strictObject({
  endpoints: z
    .record(Id, EndpointOverride)
    .refine(fewKeys, `at most ${MAX_WHAT_IF_CHANGES} endpoints`)
    .default({}),
  edges: z
    .strictObject({ add: few(AddedEdge).default([]), remove: few(EdgeIdText).default([]) })
    .prefault({}),
  policies: z
    .record(Id, PolicyOverride)
    .refine(fewKeys, `at most ${MAX_WHAT_IF_CHANGES} jobs`)
    .default({}),
  planner: z.enum(['on', 'off']).default('on'),
});
export type WhatIfChanges = z.output<typeof WhatIfChanges>;
export type WhatIfChangesInput = z.input<typeof WhatIfChanges>;

export const noChanges: WhatIfChanges = WhatIfChanges.parse({});

/** `config` with `override` laid over it, validated as a whole (the field named on a refusal). */
export function overriddenConfig(
  config: EndpointConfig,
  override: EndpointOverride | undefined,
  field: string,
): Result<EndpointConfig> {
  if (override === undefined) return ok(config);
  const { maxIntervalMs, backoff: backoffOverride, ...rest } = override;
  const merged: Record<string, unknown> = { ...config, ...defined(rest) };
  if (maxIntervalMs === null) delete merged['maxIntervalMs'];
  else if (maxIntervalMs !== undefined) merged['maxIntervalMs'] = maxIntervalMs;
  if (backoffOverride !== undefined) {
    merged['backoff'] = { ...config.backoff, ...defined(backoffOverride) };
  }
  const parsed = EndpointConfig.safeParse(merged);
  if (parsed.success) return ok(parsed.data);
  const issue = parsed.error.issues[0];
  const path = [field, ...(issue?.path ?? []).map(String)].join('.');
  return fail('validation', `${path}: ${issue?.message ?? 'invalid'}`, { field: path });
}

/** The job's recorded policy with the override laid over it. */
export const overriddenPolicy = (
  recorded: ArbiterPolicy,
  override: PolicyOverride | undefined,
): ArbiterPolicy =>
  override === undefined
    ? recorded
    : {
        antiThrash: { ...recorded.antiThrash, ...defined(override.antiThrash) },
        budget: { ...recorded.budget, ...defined(override.budget) },
        maxPlannerPauseMs: override.maxPlannerPauseMs ?? recorded.maxPlannerPauseMs,
      };

/** The members of `value` that are set (an explicit `undefined` changes nothing). */
const defined = <T extends object>(value: T | undefined): Partial<T> =>
  Object.fromEntries(
    Object.entries(value ?? {}).filter(([, member]) => member !== undefined),
  ) as Partial<T>;
