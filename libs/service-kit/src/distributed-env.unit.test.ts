import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { distributedEnv } from './distributed-env.js';
import { ConfigError, parseEnv } from './env.js';

const schema = z.object(distributedEnv);
const valid = {
  DATABASE_URL: 'postgres://postgres:orrery@postgres:5432/orrery',
  REDIS_URL: 'redis://redis:6379',
};

const problemsOf = (env: Record<string, string | undefined>): readonly string[] => {
  try {
    parseEnv(schema, env);
  } catch (error) {
    if (error instanceof ConfigError) return error.problems;
    throw error;
  }
  throw new Error('expected a ConfigError');
};

describe('distributedEnv', () => {
  it('reads the docker-compose environment, with the common defaults', () => {
    expect(parseEnv(schema, valid)).toEqual({
      ...valid,
      LOG_LEVEL: 'info',
      QUEUE_PREFIX: 'orrery',
      MIGRATE: false,
    });
  });

  it('accepts postgresql:// and rediss:// too', () => {
    const config = parseEnv(schema, {
      DATABASE_URL: 'postgresql://u:p@db.internal/orrery?sslmode=require',
      REDIS_URL: 'rediss://cache.internal:6380',
    });

    expect(config.DATABASE_URL).toMatch(/^postgresql:/);
    expect(config.REDIS_URL).toMatch(/^rediss:/);
  });

  it.each([
    ['another database', 'mysql://root@db:3306/orrery'],
    ['not a URL', 'postgres'],
    ['a host and port', 'db.internal:5432'],
  ])('refuses a DATABASE_URL that is %s, naming it', (_, value) => {
    expect(problemsOf({ ...valid, DATABASE_URL: value })).toEqual([
      'DATABASE_URL: a postgres:// connection string',
    ]);
  });

  it('requires DATABASE_URL and REDIS_URL', () => {
    expect(problemsOf({})).toEqual([
      'DATABASE_URL: a postgres:// connection string',
      'REDIS_URL: a redis:// URL',
    ]);
  });

  it('refuses a REDIS_URL that is not redis://, naming it', () => {
    expect(problemsOf({ ...valid, REDIS_URL: 'http://redis:6379' })).toEqual([
      'REDIS_URL: a redis:// URL',
    ]);
  });

  it('refuses the common variables too', () => {
    expect(problemsOf({ ...valid, MIGRATE: 'always' })).toEqual([
      expect.stringMatching(/^MIGRATE: /),
    ]);
  });
});
