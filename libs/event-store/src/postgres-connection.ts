import { Kysely, PostgresDialect } from 'kysely';
import { connectionDefaults } from '@orrery/postgres';
import pg from 'pg';
import { preparingPool } from './prepared-statements.js';
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
 *
 * Connections use {@link connectionDefaults}. The pool survives the database dropping its connections (an admin's `pg_terminate_backend`, a
 * restart, a failover): pg emits `'error'` on a client whose connection dies, and an
 * `'error'` event nobody listens to ends the process. The pool listens on idle clients only;
 * a client checked out (a query or a transaction in progress, which Kysely holds between
 * statements) has no listener of its own. So every client gets one for its whole life. Nothing
 * is lost by ignoring the event: the query in progress fails with the same error, a later one
 * fails with "not queryable", and the pool discards the broken client when it comes back. The
 * caller sees a failed query and retries it (see `isTransient` in the scheduling processors);
 * new connections are opened on demand once the database answers again.
 */
export function createEventStorePool(config: pg.PoolConfig): pg.Pool {
  const pool = new pg.Pool({ ...connectionDefaults, ...config, types: eventStoreTypes });
  pool.on('error', ignoreLostConnection); // an idle client died
  pool.on('connect', (client) => client.on('error', ignoreLostConnection)); // any client, for life
  return pool;
}

/** The failure surfaces on the client's query instead (see {@link createEventStorePool}). */
function ignoreLostConnection(): void {}

/**
 * A Kysely instance over `pool`, typed with the event store's schema; statements marked
 * `/* prepare: <name> *\/` run prepared (see {@link preparingPool}).
 */
export function createEventStoreDb(pool: pg.Pool): Kysely<EventStoreSchema> {
  return new Kysely<EventStoreSchema>({
    dialect: new PostgresDialect({ pool: preparingPool(pool) }),
  });
}

/** Accepts an int8 as a number (our parser) or a string (a pool without it). */
export function toPosition(value: unknown): number {
  return typeof value === 'string' ? int8ToNumber(value) : Number(value);
}
