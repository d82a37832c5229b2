import { z } from 'zod';

/** A configuration problem, with every offending variable named. */
export class ConfigError extends Error {
  override readonly name = 'ConfigError';
  constructor(readonly problems: readonly string[]) {
    super(`invalid configuration:\n${problems.map((p) => `  - ${p}`).join('\n')}`);
  }
}

/**
 * Parses the environment once, at boot, against a service's zod schema and
 * freezes the result. A bad or missing value throws a ConfigError naming the
 * variable, e.g. `EXECUTOR_CONCURRENCY: Invalid input: expected number, received NaN`.
 *
 * @example
 * const config = parseEnv(z.object({ DATABASE_URL: z.url() }));
 */
export function parseEnv<S extends z.ZodType>(
  schema: S,
  env: Record<string, string | undefined> = process.env,
): Readonly<z.output<S>> {
  const result = schema.safeParse(env);
  if (!result.success) {
    throw new ConfigError(
      result.error.issues.map(
        (issue) => `${issue.path.join('.') || '(environment)'}: ${issue.message}`,
      ),
    );
  }
  return Object.freeze(result.data);
}

/** Environment booleans: `true`/`false`/`1`/`0` (anything else is an error naming the variable). */
export const envBoolean = (fallback: boolean) =>
  z
    .enum(['true', 'false', '1', '0'])
    .optional()
    .transform((v) => (v === undefined ? fallback : v === 'true' || v === '1'));

/** Environment integers in [min, max], with a default. */
export const envInt = (fallback: number, min = 0, max = Number.MAX_SAFE_INTEGER) =>
  z.preprocess(
    // An empty value (`N=`) means "not set", not 0.
    (v) => (typeof v === 'string' && v.trim() === '' ? undefined : v),
    z.coerce.number().int().min(min).max(max).default(fallback),
  );

/** Settings every service shares. */
export const commonEnv = {
  LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
  /** `json` or `pretty`; unset (or empty): pretty at a terminal, JSON otherwise. */
  LOG_FORMAT: z.preprocess(
    (v) => (v === '' ? undefined : v),
    z.enum(['json', 'pretty']).optional(),
  ),
  /** BullMQ key prefix: services that talk to each other share it. */
  QUEUE_PREFIX: z
    .string()
    .regex(/^[A-Za-z0-9_-]+$/, 'letters, digits, _ and - only')
    .default('orrery'),
  /** Apply pending database migrations at start. */
  MIGRATE: envBoolean(false),
};

/** A 32-byte key, base64 (e.g. `openssl rand -base64 32`), for secrets at rest. */
export const secretKeyEnv = z
  .string()
  .refine(
    (v) => Buffer.from(v, 'base64').length === 32,
    '32 bytes, base64-encoded (openssl rand -base64 32)',
  );
