import { sql, type Kysely, type Migration } from 'kysely';

/**
 * A disabled tenant holds every one of its endpoints: the projection keeps each tenant's status
 * (`disabled`: why and by whom, null while enabled) and when it last changed, and computes the
 * tenant's schedule rows under it.
 */
export const tenantHolds: Migration = {
  async up(db: Kysely<unknown>) {
    await sql`create table tenant_holds (
      tenant_id text primary key,
      disabled jsonb,
      changed_at timestamptz not null)`.execute(db);
  },
  async down(db: Kysely<unknown>) {
    await sql`drop table tenant_holds`.execute(db);
  },
};
