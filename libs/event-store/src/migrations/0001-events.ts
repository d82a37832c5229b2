import { sql, type Kysely, type Migration } from 'kysely';

/**
 * Creates the append-only `events` table. Triggers refuse UPDATE, DELETE and
 * TRUNCATE (all statement-level, so even a statement matching no rows fails):
 * the log is only ever appended to.
 */
export const eventsTable: Migration = {
  async up(db: Kysely<unknown>) {
    await db.schema
      .createTable('events')
      .addColumn('position', 'bigint', (c) => c.generatedAlwaysAsIdentity().primaryKey())
      .addColumn('stream_id', 'text', (c) => c.notNull())
      .addColumn('stream_version', 'integer', (c) => c.notNull().check(sql`stream_version > 0`))
      .addColumn('type', 'text', (c) => c.notNull())
      .addColumn('type_version', 'integer', (c) => c.notNull())
      .addColumn('data', 'jsonb', (c) => c.notNull())
      .addColumn('metadata', 'jsonb', (c) => c.notNull())
      .addColumn('tenant_id', 'text', (c) => c.notNull())
      .addColumn('recorded_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`clock_timestamp()`))
      .addUniqueConstraint('events_stream_version_key', ['stream_id', 'stream_version'])
      .execute();
    await db.schema.createIndex('events_type_idx').on('events').column('type').execute();
    await db.schema
      .createIndex('events_tenant_position_idx')
      .on('events')
      .columns(['tenant_id', 'position'])
      .execute();

    await sql`
      create function events_refuse_change() returns trigger language plpgsql as $$
      begin
        raise exception 'events is append-only: % is not allowed', tg_op
          using errcode = 'object_not_in_prerequisite_state',
                hint = 'append a compensating event instead';
      end
      $$`.execute(db);
    await sql`
      create trigger events_refuse_update_delete
      before update or delete on events
      for each statement execute function events_refuse_change()`.execute(db);
    await sql`
      create trigger events_refuse_truncate
      before truncate on events
      for each statement execute function events_refuse_change()`.execute(db);
  },
  async down(db: Kysely<unknown>) {
    await db.schema.dropTable('events').execute();
    await sql`drop function events_refuse_change()`.execute(db);
  },
};
