import { sql, type Kysely, type Migration } from 'kysely';

/**
 * A job's pause and archive hold every endpoint of the job: each schedule row keeps the job's
 * hold it was computed under (`holds`), the job stream's version then (`job_version`, the
 * condition a dispatch is appended under), and when the endpoint's own last event was recorded
 * (`as_of`), so a row recomputed for a job event is a pure function of the log.
 */
export const jobHolds: Migration = {
  async up(db: Kysely<unknown>) {
    await sql`alter table schedule
      add column holds jsonb not null default '{"job":null}',
      add column job_version integer not null default 0,
      add column as_of timestamptz not null default 'epoch'`.execute(db);
  },
  async down(db: Kysely<unknown>) {
    await sql`alter table schedule drop column holds, drop column job_version, drop column as_of`.execute(
      db,
    );
  },
};
