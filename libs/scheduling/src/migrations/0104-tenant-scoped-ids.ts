import { sql, type Kysely, type Migration } from 'kysely';

/**
 * Endpoint, job and run ids are unique per tenant, not globally: two tenants may hold the same
 * id. The read models' keys become (tenant_id, id). Snapshots of folded states carry the schema
 * version of the state they hold (`state_version`): a row of another version is folded again
 * from its stream instead of being trusted.
 */
export const tenantScopedIds: Migration = {
  async up(db: Kysely<unknown>) {
    // The read models are a fold of the log: rebuild them under the new keys. Streams written
    // before ids were scoped (`endpoint-<id>`) are not read any more; their rows would shadow
    // the scoped streams of the same (tenant, id), so they go, and the projection starts over.
    await sql`delete from schedule`.execute(db);
    await sql`delete from runs`.execute(db);
    await sql`delete from jobs`.execute(db);
    await sql`delete from projection_checkpoints`.execute(db);
    await sql`alter table schedule drop constraint schedule_pkey,
      add primary key (tenant_id, endpoint_id),
      add column state_version integer not null default 1`.execute(db);
    await sql`alter table jobs drop constraint jobs_pkey,
      add primary key (tenant_id, job_id),
      add column state_version integer not null default 1`.execute(db);
    await sql`alter table runs drop constraint runs_pkey, add primary key (tenant_id, run_id)`.execute(
      db,
    );
    await sql`drop index runs_endpoint_idx`.execute(db);
    await sql`create index runs_endpoint_idx on runs (tenant_id, endpoint_id, scheduled_for desc)`.execute(
      db,
    );
  },
  async down(db: Kysely<unknown>) {
    await sql`drop index runs_endpoint_idx`.execute(db);
    await sql`create index runs_endpoint_idx on runs (endpoint_id, scheduled_for desc)`.execute(db);
    await sql`alter table runs drop constraint runs_pkey, add primary key (run_id)`.execute(db);
    await sql`alter table jobs drop constraint jobs_pkey, add primary key (job_id),
      drop column state_version`.execute(db);
    await sql`alter table schedule drop constraint schedule_pkey, add primary key (endpoint_id),
      drop column state_version`.execute(db);
  },
};
