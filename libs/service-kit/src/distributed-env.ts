import { z } from 'zod';
import { commonEnv } from './env.js';

/** What a scheduling service needs when it runs alone: the shared Postgres and Redis. */
export const distributedEnv = {
  ...commonEnv,
  DATABASE_URL: z.url({ protocol: /^postgres(ql)?$/, error: 'a postgres:// connection string' }),
  REDIS_URL: z.url({ protocol: /^rediss?$/, error: 'a redis:// URL' }),
};
