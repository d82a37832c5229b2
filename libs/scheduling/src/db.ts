import { createEventStorePool, preparingPool } from '@orrery/event-store';
import { Kysely, PostgresDialect } from 'kysely';
import type pg from 'pg';
import type { SchedulingSchema } from './read-model/schema.js';

export type SchedulingDb = Kysely<SchedulingSchema>;

/**
 * Kysely over a pool that parses int8 as numbers (positions); statements marked
 * `/* prepare: <name> *\/` run prepared (see `preparingPool`).
 */
export function createSchedulingDb(
  options: { connectionString: string; max?: number } | { pool: pg.Pool },
): SchedulingDb {
  const pool =
    'pool' in options
      ? options.pool
      : createEventStorePool({
          connectionString: options.connectionString,
          max: options.max ?? 10,
        });
  return new Kysely<SchedulingSchema>({
    dialect: new PostgresDialect({ pool: preparingPool(pool) }),
  });
}

/** Channel the projection notifies after it changed due times (the dispatcher listens). */
export const SCHEDULE_CHANNEL = 'orrery_schedule';
