import { sql, type Kysely, type Migration } from 'kysely';

/**
 * Processors: named, checkpointed consumers of the log, one active instance each.
 *
 * - `processor_checkpoints` (was `projection_checkpoints`) gains a lease: the host holding
 *   `token` until `lease_until` (database time) is the active one; every checkpoint write is
 *   fenced by the token, so a host that lost its lease can never move the checkpoint.
 * - `parked_streams`: a stream whose events a processor could not handle is set aside with
 *   the error, so one bad stream never stops the others; it is retried later, and at once when
 *   a new event arrives for it.
 * - `hint_expiries`: the live hints the hint-expiry processor waits on (from the log).
 */
export const processors: Migration = {
  async up(db: Kysely<unknown>) {
    await sql`alter table projection_checkpoints rename to processor_checkpoints`.execute(db);
    await sql`alter table processor_checkpoints
      add column owner text, add column token text, add column lease_until timestamptz`.execute(db);
    await sql`create table parked_streams (
      processor text not null,
      stream_id text not null,
      tenant_id text not null,
      stream_version integer not null,
      position bigint not null,
      error text not null,
      attempts integer not null default 1,
      parked_at timestamptz not null,
      retry_at timestamptz not null,
      primary key (processor, stream_id))`.execute(db);
    await sql`create table hint_expiries (
      stream_id text not null,
      hint_id text not null,
      tenant_id text not null,
      slot text not null,
      expires_at timestamptz not null,
      primary key (stream_id, hint_id))`.execute(db);
    await sql`create index hint_expiries_due_idx on hint_expiries (expires_at)`.execute(db);
  },
  async down(db: Kysely<unknown>) {
    await sql`drop table hint_expiries`.execute(db);
    await sql`drop table parked_streams`.execute(db);
    await sql`alter table processor_checkpoints
      drop column owner, drop column token, drop column lease_until`.execute(db);
    await sql`alter table processor_checkpoints rename to projection_checkpoints`.execute(db);
  },
};
