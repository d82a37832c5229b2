import { sql, type Kysely, type Migration } from 'kysely';

/**
 * Tells the planner that a stream is a small part of the log, whatever the statistics say.
 *
 * The reads at the head of a stream (`readStreamHead`, `readEndpointWithJob`: a snapshot and the
 * events after it, in one statement) bound the stream's versions by a value the planner cannot
 * see when it plans (the snapshot's version, read by the same statement), and one of them names
 * the stream itself by such a value (the endpoint's job). The planner then estimates the rows
 * from the column's statistics: a third of a stream's rows, and a stream's rows as the log's
 * rows over its distinct streams. On a log with few streams — a deployment with a handful of
 * endpoints and a long history, the bench's commands phase with one stream of a million events —
 * that estimate is hundreds of thousands of rows, and the plan a sequential scan of the whole log
 * for what is a few events: reproduced with a prepared statement's generic plan on PostgreSQL 18
 * over that million-event log, 317 ms for a read that takes 1.5 ms by the
 * (stream_id, stream_version) index. Once the table had been analysed, every command and
 * explain through the API took 130–300 ms in `npm run bench` (its commands phase).
 *
 * `n_distinct = -0.001` says the log holds one stream per thousand events: a stream's tail is
 * estimated at a few hundred rows, and read by the index. The estimate is wrong for a log of a
 * few long streams on purpose; no query of Orrery wants a sequential scan to find one stream's
 * events. It takes effect at the next ANALYZE: this migration runs one (a sample of the table,
 * seconds on a large log).
 */
export const streamEstimate: Migration = {
  async up(db: Kysely<unknown>) {
    await sql`alter table events alter column stream_id set (n_distinct = -0.001)`.execute(db);
    await sql`analyze events`.execute(db);
  },
  async down(db: Kysely<unknown>) {
    await sql`alter table events alter column stream_id reset (n_distinct)`.execute(db);
    await sql`analyze events`.execute(db);
  },
};
