import { randomBytes } from 'node:crypto';
import { createEventStorePool } from '@orrery/event-store';
import { sql } from 'kysely';
import type pg from 'pg';
import { createSchedulingDb, type SchedulingDb } from '../db.js';
import { shadowTables } from './tables.js';

/**
 * Where a replay writes: a schema of its own (`replay_<time>_<random>`, which needs the CREATE
 * privilege on the database: the owner's, as the CLI runs), or temporary tables (which need only
 * TEMP, granted to everyone by default: the services' role, as the API runs).
 */
export type ShadowKind = 'schema' | 'temporary';

export interface Shadow {
  readonly kind: ShadowKind;
  /** The schema of its tables: the replay's own, or `pg_temp`. */
  readonly schema: string;
  /** The live schema: the log and the read models the replay is compared with. */
  readonly live: string;
  /**
   * One connection whose `search_path` is the shadow alone, so the projection's unqualified SQL
   * writes there — and, should the shadow vanish, fails instead of reaching the live tables.
   * Temporary tables live as long as this session, so it is never let go while the replay runs.
   */
  readonly db: SchedulingDb;
  /** The pool of that one connection (`db`'s), for what Kysely does not do: a COPY. */
  readonly pool: pg.Pool;
  /** Closes the connection and drops the schema (temporary tables go with their session). */
  drop(): Promise<void>;
}

export const SHADOW_PREFIX = 'replay_';

const nameAt = (now: Date) =>
  `${SHADOW_PREFIX}${now
    .toISOString()
    .replace(/[-:]|\.\d+Z$/g, '')
    .toLowerCase()}_${randomBytes(3).toString('hex')}`;

/** Schemas left by replays that did not get to drop theirs (their process was killed). */
export async function leftoverShadows(live: SchedulingDb): Promise<string[]> {
  const { rows } = await sql<{ name: string }>`
    select nspname as name from pg_namespace where nspname like ${`${SHADOW_PREFIX}%`}
    order by nspname`.execute(live);
  return rows.map((r) => r.name);
}

/**
 * Creates empty unlogged copies (`like … including all`: columns, defaults, constraints, indexes) of the
 * tables the scheduling projection writes, and of its checkpoint and parked streams — without
 * their secondary indexes (see {@link dropSecondaryIndexes}).
 */
export async function createShadow(
  connectionString: string,
  live: SchedulingDb,
  kind: ShadowKind,
  now: Date,
): Promise<Shadow> {
  const { rows } = await sql<{ schema: string }>`select current_schema() as schema`.execute(live);
  const liveSchema = rows[0]?.schema ?? 'public';
  const schema = kind === 'temporary' ? 'pg_temp' : nameAt(now);
  const pool = createEventStorePool({
    connectionString,
    max: 1,
    idleTimeoutMillis: 0,
    application_name: 'orrery-replay',
    options: `-c search_path=${schema}`,
  });
  const db = createSchedulingDb({ pool });
  let created = false;
  const drop = async () => {
    await db.destroy();
    if (created && kind === 'schema') {
      await sql`drop schema if exists ${sql.id(schema)} cascade`.execute(live);
    }
  };
  try {
    const { rows: path } = await sql<{ path: string }>`
      select current_setting('search_path') as path`.execute(db);
    if (path[0]?.path !== schema) {
      throw new Error(`the replay's connection has search_path ${path[0]?.path}, not ${schema}`);
    }
    if (kind === 'schema') {
      await sql`create schema ${sql.id(schema)}`.execute(db);
      created = true;
    }
    // Unlogged: the shadow's rows are written without WAL. A crash empties them, which loses
    // nothing (a replay that did not finish is thrown away), and a swap copies them into the
    // live tables, whose writes are logged. Temporary tables are never logged.
    const unlogged = kind === 'schema' ? sql`unlogged` : sql``;
    for (const table of shadowTables) {
      await sql`create ${unlogged} table ${sql.id(schema, table)}
        (like ${sql.id(liveSchema, table)} including all)`.execute(db);
    }
    await dropSecondaryIndexes(db, schema);
  } catch (error) {
    await drop().catch(() => {}); // the first error says more
    throw error;
  }
  return { kind, schema, live: liveSchema, db, pool, drop };
}

/**
 * Drops the shadow's indexes that enforce nothing. Nothing reads the shadow by them (the
 * comparison joins on keys, a swap copies rows), and each one costs every row written: the runs
 * table alone has two, over hundreds of thousands of rows in a replay of a busy log. Unique
 * indexes stay: the writers' upserts use them, and they refuse a row replayed twice.
 */
async function dropSecondaryIndexes(db: SchedulingDb, schema: string): Promise<void> {
  const namespace = schema === 'pg_temp' ? sql`pg_my_temp_schema()` : sql`${schema}::regnamespace`;
  // Names as regclass writes them: quoted where needed, found through the shadow's search_path.
  const { rows } = await sql<{ name: string }>`
    select i.indexrelid::regclass::text as name from pg_index i
    join pg_class t on t.oid = i.indrelid
    where t.relnamespace = ${namespace} and not i.indisunique`.execute(db);
  for (const { name } of rows) await sql`drop index ${sql.raw(name)}`.execute(db);
}
