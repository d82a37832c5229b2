import { sql, type Kysely, type Migration } from 'kysely';

/**
 * Lets the services' role (`orrery_service`, created by the event store's
 * `0003_service_role`, which sorts and runs first) read and write the read
 * models that existed before it. Tables created after `0003_service_role` get
 * the same rights from its default privileges; in a fresh database this grant
 * changes nothing.
 */
export const serviceGrants: Migration = {
  async up(db: Kysely<unknown>) {
    await sql`grant select, insert, update, delete
      on schedule, runs, projection_checkpoints, jobs to orrery_service`.execute(db);
  },
  async down(db: Kysely<unknown>) {
    await sql`revoke all on schedule, runs, projection_checkpoints, jobs
      from orrery_service`.execute(db);
  },
};
