import { sql, type Kysely, type Migration } from 'kysely';

/**
 * The services' role, `orrery_service`: a NOLOGIN group whose members may read
 * the log and append to it, and nothing more (see docs/database-roles.md).
 * The migration owner keeps `events`; only an owner or a superuser can disable
 * its triggers, so only they can change what was recorded.
 *
 * - The group is created if missing. Roles are cluster-wide and migrations of
 *   several databases may run at once: the loser of a race gets a duplicate
 *   error, which is caught. A role created beforehand by an administrator is
 *   used as is, so the owner needs CREATEROLE only when the group is missing.
 * - `events`: SELECT, and INSERT on every column except `position`, so
 *   `INSERT … OVERRIDING SYSTEM VALUE` (and `COPY` with positions) is refused
 *   for lack of privilege on that column. No UPDATE, DELETE or TRUNCATE.
 * - Every table (and sequence) the migration owner creates later in this
 *   schema: read and write, through default privileges. Read models need no
 *   grant of their own; a new append-only table must revoke what it must not
 *   allow.
 * - The migrator's bookkeeping tables: SELECT (a service may check the schema
 *   version, never change it).
 */
export const serviceRole: Migration = {
  async up(db: Kysely<unknown>) {
    await createGroupIfMissing(db, 'orrery_service');
    await sql`
      do $$
      begin
        execute format('grant usage on schema %I to orrery_service', current_schema());
        execute format('alter default privileges for role %I in schema %I
          grant select, insert, update, delete on tables to orrery_service',
          current_user, current_schema());
        execute format('alter default privileges for role %I in schema %I
          grant usage, select on sequences to orrery_service',
          current_user, current_schema());
      end
      $$`.execute(db);
    await sql`grant select on events to orrery_service`.execute(db);
    await sql`
      grant insert (stream_id, stream_version, type, type_version, data, metadata, tenant_id,
                    recorded_at, idempotency_key)
      on events to orrery_service`.execute(db);
    await sql`grant select on kysely_migration, kysely_migration_lock to orrery_service`.execute(
      db,
    );
  },
  async down(db: Kysely<unknown>) {
    await sql`revoke all on events, kysely_migration, kysely_migration_lock
      from orrery_service`.execute(db);
    await sql`
      do $$
      begin
        execute format('alter default privileges for role %I in schema %I
          revoke all on tables from orrery_service', current_user, current_schema());
        execute format('alter default privileges for role %I in schema %I
          revoke all on sequences from orrery_service', current_user, current_schema());
        execute format('revoke usage on schema %I from orrery_service', current_schema());
      end
      $$`.execute(db);
  },
};

/**
 * `CREATE ROLE <name> NOLOGIN` unless the role exists, safe when another
 * transaction (in any database of the cluster) creates it at the same moment:
 * the loser waits for the winner's commit, then gets a duplicate error, which
 * is caught. Exported for the race test; `name` must be a plain identifier.
 */
export async function createGroupIfMissing<DB>(db: Kysely<DB>, name: string): Promise<void> {
  if (!/^[a-z_][a-z0-9_]*$/.test(name)) throw new Error(`not a plain role name: ${name}`);
  await sql`
    do $$
    begin
      if not exists (select from pg_roles where rolname = '${sql.raw(name)}') then
        create role ${sql.raw(name)} nologin;
      end if;
    exception
      when duplicate_object or unique_violation then
        null; -- created by a concurrent transaction
      when insufficient_privilege then
        raise exception 'role ${sql.raw(name)} is missing and % may not create roles', current_user
          using errcode = 'insufficient_privilege',
                hint = 'have an administrator run: CREATE ROLE ${sql.raw(name)} NOLOGIN';
    end
    $$`.execute(db);
}
