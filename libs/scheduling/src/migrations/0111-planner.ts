import { sql, type Kysely, type Migration } from 'kysely';

/**
 * The planner processor's own state, written in the same transaction as its checkpoint:
 * - `planner_queue`: endpoints with responses the planner has not analysed yet, due when their
 *   debounce ends (one row per endpoint: responses arriving meanwhile only move `position`).
 * - `planner_usage`: per tenant and window, the sessions run and the tokens spent (the analysis
 *   budget), and per job the planner-induced extra runs granted (the arbiter's job budget).
 */
export const planner: Migration = {
  async up(db: Kysely<unknown>) {
    await sql`create table planner_queue (
      tenant_id text not null,
      endpoint_id text not null,
      due_at timestamptz not null,
      run_id text not null,
      position bigint not null,
      primary key (tenant_id, endpoint_id))`.execute(db);
    await sql`create index planner_queue_due_idx on planner_queue (due_at)`.execute(db);
    await sql`create table planner_usage (
      tenant_id text not null,
      scope text not null,
      window_start timestamptz not null,
      sessions integer not null default 0,
      tokens bigint not null default 0,
      extra_runs integer not null default 0,
      primary key (tenant_id, scope, window_start))`.execute(db);
  },
  async down(db: Kysely<unknown>) {
    await sql`drop table planner_usage`.execute(db);
    await sql`drop table planner_queue`.execute(db);
  },
};
