import { sql, type Kysely, type Migration } from 'kysely';

/**
 * `NOTIFY orrery_tenants, '<tenantId>'` whenever an event is appended to a tenant's stream
 * (`tenant-<id>`: tenant created, key created or revoked, tenant disabled or enabled), from a
 * trigger, so it is sent by whoever appends (an API process, the CLI, a script) and only when the
 * append commits. API processes LISTEN on it to drop the tenant they keep in memory for key
 * checks (libs/api's `TenantKeyCache`). The WHEN clause keeps every other insert from calling
 * the function at all.
 */
export const tenantNotify: Migration = {
  async up(db: Kysely<unknown>) {
    await sql`
      create function events_notify_tenant() returns trigger language plpgsql as $$
      begin
        perform pg_notify('orrery_tenants', substr(new.stream_id, 8));
        return null;
      end
      $$`.execute(db);
    await sql`
      create trigger events_notify_tenant after insert on events
      for each row when (new.stream_id like 'tenant-%')
      execute function events_notify_tenant()`.execute(db);
  },
  async down(db: Kysely<unknown>) {
    await sql`drop trigger events_notify_tenant on events`.execute(db);
    await sql`drop function events_notify_tenant()`.execute(db);
  },
};
