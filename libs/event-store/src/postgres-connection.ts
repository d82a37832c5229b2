import { Kysely, PostgresDialect } from 'kysely';
import pg from 'pg';
import type { EventStoreSchema } from './schema.js';

const int8ToNumber = (value: string): number => {
  const parsed = Number(value);
  if (!Number.isSafeInteger(parsed)) throw new RangeError(`int8 ${value} exceeds 2^53`);
  return parsed;
};

/** Type parsers for the store's connections: int8 (positions, counts) as JS numbers. */
export const eventStoreTypes: pg.CustomTypesConfig = {
  getTypeParser: ((oid: number, format?: 'text' | 'binary') =>
    oid === pg.types.builtins.INT8 && format !== 'binary'
      ? int8ToNumber
      : pg.types.getTypeParser(oid, format)) as pg.CustomTypesConfig['getTypeParser'],
};

/**
 * A pg pool whose connections parse int8 to numbers, without touching pg's
 * global parsers (other libraries in the process keep theirs).
 */
export function createEventStorePool(config: pg.PoolConfig): pg.Pool {
  const pool = new pg.Pool({ ...config, types: eventStoreTypes });
  // An idle connection that dies (server restart, admin kill) is discarded by the pool and
  // replaced on demand; a real outage surfaces on the next query. Without a listener the
  // 'error' event would crash the process.
  pool.on('error', () => {});
  return pool;
}

/** A Kysely instance over `pool`, typed with the event store's schema. */
export function createEventStoreDb(pool: pg.Pool): Kysely<EventStoreSchema> {
  return new Kysely<EventStoreSchema>({ dialect: new PostgresDialect({ pool }) });
}

/** Accepts an int8 as a number (our parser) or a string (a pool without it). */
export function toPosition(value: unknown): number {
  return typeof value === 'string' ? int8ToNumber(value) : Number(value);
}
