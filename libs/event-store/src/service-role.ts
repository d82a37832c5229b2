import { sql, type Kysely } from 'kysely';
import pg from 'pg';

/**
 * The NOLOGIN group whose members the services connect as: they may read the
 * log and append to it, read and write the read models, and nothing else
 * (created by the migration `0003_service_role`; see docs/database-roles.md).
 */
export const SERVICE_ROLE = 'orrery_service';

/**
 * How the role behind a connection stands towards the log:
 * - `superuser`: may do anything, triggers included;
 * - `owner`: owns `events` (directly or through membership), may disable its triggers;
 * - `service`: a member of {@link SERVICE_ROLE} that does not own `events`;
 * - `other`: none of these (e.g. `events` does not exist yet and no group either).
 */
export type ConnectionRole = 'superuser' | 'owner' | 'service' | 'other';

/** The {@link ConnectionRole} of the role `db` connects as, in the current database. */
export async function connectionRole<DB>(db: Kysely<DB>): Promise<ConnectionRole> {
  const { rows } = await sql<{ superuser: boolean; owner: boolean; service: boolean }>`
    select r.rolsuper as superuser,
      coalesce((select pg_has_role(current_user, c.relowner, 'USAGE') from pg_class c
                where c.oid = to_regclass('events')), false) as owner,
      coalesce((select pg_has_role(current_user, g.oid, 'MEMBER') from pg_roles g
                where g.rolname = ${SERVICE_ROLE}), false) as service
    from pg_roles r where r.rolname = current_user`.execute(db);
  const row = rows[0];
  if (row?.superuser) return 'superuser';
  if (row?.owner) return 'owner';
  return row?.service ? 'service' : 'other';
}

/** A login role for the services: its name and password. */
export interface ServiceLogin {
  readonly name: string;
  readonly password: string;
}

/**
 * Makes `login.name` a login role that is a member of {@link SERVICE_ROLE},
 * with `login.password`, and returns `connectionString` with that user and
 * password (same server and database). Creates the role if missing; otherwise
 * sets its password and membership. Refuses a role that exists with more
 * power (superuser, CREATEROLE, CREATEDB, replication, BYPASSRLS), so a typo
 * can never hand the services an administrator's account.
 *
 * Run it as a superuser or a CREATEROLE role, after the migrations (they create
 * the group). Embedded mode does this at each start.
 *
 * @example
 * const url = await ensureServiceLogin(ownerUrl, { name: 'orrery_app', password });
 */
export async function ensureServiceLogin(
  connectionString: string,
  login: ServiceLogin,
): Promise<string> {
  const client = new pg.Client({ connectionString });
  // A connection that dies fails the query in progress; unheard, its 'error' would end the process.
  client.on('error', () => {});
  await client.connect();
  try {
    const role = client.escapeIdentifier(login.name);
    const password = client.escapeLiteral(login.password);
    const { rows } = await client.query<{ powerful: boolean }>(
      `select rolsuper or rolcreaterole or rolcreatedb or rolreplication or rolbypassrls
         as powerful from pg_roles where rolname = $1`,
      [login.name],
    );
    if (rows[0]?.powerful) {
      throw new Error(
        `role ${login.name} exists with administrative attributes; services need a plain login role`,
      );
    }
    if (rows.length === 0) {
      await client.query(`create role ${role} login password ${password} in role ${SERVICE_ROLE}`);
    } else {
      await client.query(`alter role ${role} with login password ${password}`);
      await client.query(`grant ${SERVICE_ROLE} to ${role}`);
    }
  } finally {
    await client.end();
  }
  const url = new URL(connectionString);
  url.username = login.name;
  url.password = login.password;
  return url.toString();
}
