import { afterEach, describe, expect, it, vi } from 'vitest';
import { z } from 'zod';
import { ConfigError, commonEnv, envBoolean, envInt, parseEnv } from './env.js';

/** A service schema in the style of the executor's. */
const schema = z.object({
  ...commonEnv,
  EXECUTOR_CONCURRENCY: envInt(32, 1, 1000),
  ALLOW_LOOPBACK: envBoolean(false),
});

/** The ConfigError a parse throws (fails the test if it does not throw one). */
function configErrorOf(env: Record<string, string | undefined>): ConfigError {
  try {
    parseEnv(schema, env);
  } catch (error) {
    if (error instanceof ConfigError) return error;
    throw error;
  }
  throw new Error('expected a ConfigError');
}

describe('parseEnv', () => {
  afterEach(() => {
    vi.unstubAllEnvs();
  });

  it('applies the defaults to an empty environment', () => {
    expect(parseEnv(schema, {})).toEqual({
      LOG_LEVEL: 'info',
      QUEUE_PREFIX: 'orrery',
      MIGRATE: false,
      EXECUTOR_CONCURRENCY: 32,
      ALLOW_LOOPBACK: false,
    });
  });

  it('reads the values given, as their types', () => {
    const config = parseEnv(schema, {
      LOG_LEVEL: 'debug',
      QUEUE_PREFIX: 'orrery-test_1',
      MIGRATE: '1',
      EXECUTOR_CONCURRENCY: '64',
      ALLOW_LOOPBACK: 'true',
    });

    expect(config).toEqual({
      LOG_LEVEL: 'debug',
      QUEUE_PREFIX: 'orrery-test_1',
      MIGRATE: true,
      EXECUTOR_CONCURRENCY: 64,
      ALLOW_LOOPBACK: true,
    });
  });

  it('freezes the result and keeps only the variables of the schema', () => {
    const config = parseEnv(schema, { EXECUTOR_CONCURRENCY: '8', PATH: '/usr/bin' });

    expect(Object.isFrozen(config)).toBe(true);
    expect(Reflect.set(config, 'EXECUTOR_CONCURRENCY', 9)).toBe(false);
    expect(config.EXECUTOR_CONCURRENCY).toBe(8);
    expect(config).not.toHaveProperty('PATH');
  });

  it('reads process.env by default', () => {
    vi.stubEnv('EXECUTOR_CONCURRENCY', '7');

    expect(parseEnv(schema).EXECUTOR_CONCURRENCY).toBe(7);
  });

  it.each([
    ['not a number', 'lots'],
    ['a fraction', '1.5'],
    ['below the minimum', '0'],
    ['above the maximum', '1001'],
  ])('refuses %s, naming the variable', (_, value) => {
    const error = configErrorOf({ EXECUTOR_CONCURRENCY: value });

    expect(error.name).toBe('ConfigError');
    expect(error).toBeInstanceOf(Error);
    expect(error.problems).toHaveLength(1);
    expect(error.problems[0]).toMatch(/^EXECUTOR_CONCURRENCY: /);
    expect(error.message).toContain('EXECUTOR_CONCURRENCY');
  });

  it('names every bad variable at once', () => {
    const error = configErrorOf({
      EXECUTOR_CONCURRENCY: 'lots',
      LOG_LEVEL: 'verbose',
      MIGRATE: 'yes',
      QUEUE_PREFIX: 'has space',
    });

    expect(error.problems.map((p) => p.split(':')[0]).sort()).toEqual([
      'EXECUTOR_CONCURRENCY',
      'LOG_LEVEL',
      'MIGRATE',
      'QUEUE_PREFIX',
    ]);
    expect(error.problems.find((p) => p.startsWith('QUEUE_PREFIX'))).toContain(
      'letters, digits, _ and - only',
    );
    for (const name of ['EXECUTOR_CONCURRENCY', 'LOG_LEVEL', 'MIGRATE', 'QUEUE_PREFIX']) {
      expect(error.message).toContain(`  - ${name}: `);
    }
  });

  it('reports a problem of the whole environment as such', () => {
    const both = z
      .object({ A: z.string().optional(), B: z.string().optional() })
      .refine((env) => env.A === undefined || env.B !== undefined, 'A needs B');

    expect(() => parseEnv(both, { A: 'x' })).toThrow(
      expect.objectContaining({ problems: ['(environment): A needs B'] }),
    );
  });
});

describe('envBoolean', () => {
  const flag = z.object({ FLAG: envBoolean(true) });

  it.each([
    ['true', true],
    ['1', true],
    ['false', false],
    ['0', false],
  ])('reads %s as %s', (value, expected) => {
    expect(parseEnv(flag, { FLAG: value }).FLAG).toBe(expected);
  });

  it('falls back to its default when unset', () => {
    expect(parseEnv(flag, {}).FLAG).toBe(true);
    expect(parseEnv(z.object({ FLAG: envBoolean(false) }), {}).FLAG).toBe(false);
  });

  it.each(['yes', 'TRUE', 'on', ''])('refuses %j, naming the variable', (value) => {
    expect(() => parseEnv(flag, { FLAG: value })).toThrow(/FLAG: /);
  });
});

describe('envInt', () => {
  it('falls back to its default when unset', () => {
    expect(parseEnv(z.object({ N: envInt(15_000, 100) }), {}).N).toBe(15_000);
  });

  it('accepts the bounds themselves', () => {
    const n = z.object({ N: envInt(5, 1, 10) });

    expect(parseEnv(n, { N: '1' }).N).toBe(1);
    expect(parseEnv(n, { N: '10' }).N).toBe(10);
  });

  it('treats an empty value as unset, so the default applies (never a silent 0)', () => {
    expect(parseEnv(z.object({ N: envInt(5, 1) }), { N: '' }).N).toBe(5);
    expect(parseEnv(z.object({ N: envInt(5, 0) }), { N: ' ' }).N).toBe(5);
  });

  it('refuses a value out of bounds', () => {
    expect(() => parseEnv(z.object({ N: envInt(5, 1) }), { N: '0' })).toThrow(ConfigError);
  });
});

describe('LOG_FORMAT', () => {
  it('takes json or pretty, and leaves the choice to the terminal when unset or empty', () => {
    expect(parseEnv(schema, { LOG_FORMAT: 'json' }).LOG_FORMAT).toBe('json');
    expect(parseEnv(schema, { LOG_FORMAT: 'pretty' }).LOG_FORMAT).toBe('pretty');
    expect(parseEnv(schema, {}).LOG_FORMAT).toBeUndefined();
    expect(parseEnv(schema, { LOG_FORMAT: '' }).LOG_FORMAT).toBeUndefined();
  });

  it('refuses another value, naming the variable and the values it takes', () => {
    const error = configErrorOf({ LOG_FORMAT: 'text' });

    expect(error.problems).toHaveLength(1);
    expect(error.problems[0]).toMatch(/^LOG_FORMAT: /);
    expect(error.problems[0]).toContain('"json"');
    expect(error.problems[0]).toContain('"pretty"');
  });
});
