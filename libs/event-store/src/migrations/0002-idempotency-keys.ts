import { sql, type Kysely, type Migration } from 'kysely';

/**
 * Idempotent appends: a request may carry a key (e.g. `response:<runId>`);
 * the unique index makes a second append under the same key impossible even
 * for a writer that bypasses the store's check.
 */
export const idempotencyKeys: Migration = {
  async up(db: Kysely<unknown>) {
    await db.schema.alterTable('events').addColumn('idempotency_key', 'text').execute();
    await sql`create unique index events_idempotency_key_idx on events (idempotency_key)
      where idempotency_key is not null`.execute(db);
  },
  async down(db: Kysely<unknown>) {
    await db.schema.alterTable('events').dropColumn('idempotency_key').execute();
  },
};
