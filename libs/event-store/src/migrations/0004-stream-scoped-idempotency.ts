import { sql, type Kysely, type Migration } from 'kysely';

/**
 * Idempotency keys are unique per stream, not across the log: streams are scoped by tenant, so
 * two tenants' runs with the same id (and so the same `response:<runId>` key) never collide,
 * and no tenant learns of another's keys.
 */
export const streamScopedIdempotency: Migration = {
  async up(db: Kysely<unknown>) {
    await sql`drop index events_idempotency_key_idx`.execute(db);
    await sql`create unique index events_stream_idempotency_key_idx
      on events (stream_id, idempotency_key) where idempotency_key is not null`.execute(db);
  },
  async down(db: Kysely<unknown>) {
    await sql`drop index events_stream_idempotency_key_idx`.execute(db);
    await sql`create unique index events_idempotency_key_idx on events (idempotency_key)
      where idempotency_key is not null`.execute(db);
  },
};
