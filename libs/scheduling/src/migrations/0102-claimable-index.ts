import { sql, type Kysely, type Migration } from 'kysely';

/**
 * The dispatcher sleeps until the earliest time a row becomes claimable:
 * its due time, or its claim's end if later. Indexing that expression keeps
 * the question one index probe however many endpoints there are.
 */
export const claimableIndex: Migration = {
  async up(db: Kysely<unknown>) {
    await sql`create index schedule_claimable_idx on schedule
      ((greatest(next_run_at, coalesce(claimed_until, next_run_at))))
      where status = 'active' and next_run_at is not null`.execute(db);
  },
  async down(db: Kysely<unknown>) {
    await sql`drop index schedule_claimable_idx`.execute(db);
  },
};
