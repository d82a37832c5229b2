import { sql, type Kysely, type Migration } from 'kysely';

/**
 * Lets the services' role (`orrery_service`, created by the event store's
 * `0003_service_role`, which sorts and runs first) read and write the read
 * models that existed before it: every table of the schema but the log itself
 * (whose rights 0003 sets column by column) and the migrator's own. Tables
 * created after `0003_service_role` get the same rights from its default
 * privileges; in a fresh database this grant changes nothing.
 */
export const serviceGrants: Migration = {
  async up(db: Kysely<unknown>) {
    await sql`do $$
      declare t record;
      begin
        for t in select tablename from pg_tables where schemaname = current_schema()
            and tablename <> 'events' and tablename not like 'kysely\\_%' loop
          execute format('grant select, insert, update, delete on %I to orrery_service', t.tablename);
        end loop;
      end $$`.execute(db);
  },
  async down(db: Kysely<unknown>) {
    await sql`do $$
      declare t record;
      begin
        for t in select tablename from pg_tables where schemaname = current_schema()
            and tablename <> 'events' and tablename not like 'kysely\\_%' loop
          execute format('revoke all on %I from orrery_service', t.tablename);
        end loop;
      end $$`.execute(db);
  },
};
