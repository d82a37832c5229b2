import { randomBytes } from 'node:crypto';
import pg from 'pg';
import type { TestDatabase } from './database.js';

/** The services' NOLOGIN group; the event store's migrations create it. */
const SERVICE_GROUP = 'orrery_service';

/** Login roles made so far in this worker, by database name. */
const made = new Map<string, Promise<string>>();

/** The login role {@link serviceRoleUrl} makes for a database: named after it, so unique per file. */
export const serviceRoleName = (database: string): string => `${database}_svc`;

/**
 * A connection string to `db` as a login role whose only rights are those of
 * `orrery_service`, the role the services run as in production: it may read
 * and append to the log and write the read models, never alter the log.
 * Made on the first call (with a random password), the same string after;
 * `db.drop()` removes the role with the database.
 *
 * Migrate the database first (as its owner, `db.url`): the migrations create
 * the group and its grants.
 *
 * @example
 * const db = useTestDatabase();
 * beforeAll(async () => {
 *   await migrateDatabase(db().url, undefined, schedulingMigrations);
 *   runtime = await startRuntime({ connectionString: await serviceRoleUrl(db()), ... });
 * });
 */
export function serviceRoleUrl(db: TestDatabase): Promise<string> {
  let url = made.get(db.name);
  if (!url) {
    url = createLogin(db);
    made.set(db.name, url);
    // A failed attempt may be retried.
    url.catch(() => made.delete(db.name));
  }
  return url;
}

async function createLogin(db: TestDatabase): Promise<string> {
  const name = serviceRoleName(db.name);
  const password = randomBytes(18).toString('hex');
  const client = new pg.Client({ connectionString: db.url });
  await client.connect();
  try {
    await client.query(`create role ${name} login password '${password}' in role ${SERVICE_GROUP}`);
  } catch (error) {
    const missingGroup = (error as { code?: string }).code === '42704';
    throw missingGroup
      ? new Error(`serviceRoleUrl(): migrate ${db.name} first; its migrations create the group`, {
          cause: error,
        })
      : error;
  } finally {
    await client.end();
  }
  const url = new URL(db.url);
  url.username = name;
  url.password = password;
  return url.toString();
}

/** Drops the database's login role, if one was made (after the database, so it owns nothing). */
export async function dropServiceRole(admin: pg.Client, database: string): Promise<void> {
  made.delete(database);
  await admin.query(`drop role if exists ${serviceRoleName(database)}`);
}
