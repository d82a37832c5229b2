import { sql, type Kysely, type Migration } from 'kysely';

/** defaultPlannerSettings when this migration was written (a migration never changes). */
const DEFAULTS = JSON.stringify({
  enabled: true,
  backend: 'auto',
  policy: {
    antiThrash: { windowMs: 1_800_000, maxChanges: 4, cooldownMs: 1_800_000 },
    budget: { windowMs: 3_600_000, perEndpoint: 120, perJob: 1000 },
    maxPlannerPauseMs: 86_400_000,
  },
});

/**
 * What the planner and the arbiter leave in the log, as read models of the scheduling
 * projection (written in the same transaction as the rest of its batch).
 *
 * - `jobs.planner`: the job's planner settings (PlannerSettings JSON), for the planner service
 *   to read; null means the defaults. Job states gain `planner` (state version 3). Before this
 *   migration no command could set planner settings, so a version-2 state is the version-3 state
 *   with the defaults of the time: the rows are upgraded in place instead of folded again, and
 *   their `planner` stays null until the job next changes.
 * - `conflicts`: one row per HintRejected — the proposal, the rule and the decision it met, and
 *   the target's state the proposal met (folded from the log just before the event). The
 *   projection has read past the refusals recorded before this migration: they get their rows
 *   from a rebuild (`npm run replay -- --swap`).
 * - `planner_sessions`: one row per PlannerSessionRecorded, summarised for listing, with the
 *   whole record in `data`.
 *
 * Lists are newest first by log position, per tenant and filter: each index leads with the
 * tenant and the filter and ends with the position, so a page is an index range scan.
 */
export const plannerReads: Migration = {
  async up(db: Kysely<unknown>) {
    await sql`alter table jobs add column planner jsonb`.execute(db);
    await sql`update jobs set state = state || jsonb_build_object('planner', ${DEFAULTS}::jsonb),
        state_version = 3
      where state_version = 2`.execute(db);
    await sql`create table conflicts (
      tenant_id text not null,
      position bigint not null,
      endpoint_id text not null,
      job_id text not null,
      proposal_id text not null,
      kind text,
      slot text,
      source text not null,
      source_id text not null,
      from_endpoint_id text,
      rule text not null,
      detail text not null,
      based_on_position bigint,
      winner jsonb,
      cooldown_until timestamptz,
      requested jsonb,
      state_met jsonb not null,
      recorded_at timestamptz not null,
      primary key (tenant_id, position))`.execute(db);
    // from_endpoint_id: the planner reads its recent refusals per analysed endpoint.
    for (const column of ['endpoint_id', 'job_id', 'rule', 'source', 'from_endpoint_id']) {
      await sql`create index ${sql.id(`conflicts_${column}_idx`)}
        on conflicts (tenant_id, ${sql.ref(column)}, position desc)`.execute(db);
    }
    await sql`create index conflicts_recorded_at_idx on conflicts (tenant_id, recorded_at)`.execute(
      db,
    );
    await sql`create table planner_sessions (
      tenant_id text not null,
      session_id text not null,
      endpoint_id text not null,
      job_id text not null,
      planner text not null,
      model text,
      outcome text not null,
      position bigint not null,
      started_at timestamptz not null,
      duration_ms double precision not null,
      proposals integer not null,
      accepted integer not null,
      rejected integer not null,
      input_tokens integer not null,
      output_tokens integer not null,
      data jsonb not null,
      recorded_at timestamptz not null,
      primary key (tenant_id, session_id))`.execute(db);
    await sql`create index planner_sessions_position_idx
      on planner_sessions (tenant_id, position desc)`.execute(db);
    for (const column of ['endpoint_id', 'job_id', 'outcome']) {
      await sql`create index ${sql.id(`planner_sessions_${column}_idx`)}
        on planner_sessions (tenant_id, ${sql.ref(column)}, position desc)`.execute(db);
    }
    await sql`create index planner_sessions_started_at_idx
      on planner_sessions (tenant_id, started_at)`.execute(db);
  },
  async down(db: Kysely<unknown>) {
    await sql`drop table planner_sessions`.execute(db);
    await sql`drop table conflicts`.execute(db);
    await sql`alter table jobs drop column planner`.execute(db);
    await sql`update jobs set state = state - 'planner', state_version = 2
      where state_version = 3`.execute(db);
  },
};
