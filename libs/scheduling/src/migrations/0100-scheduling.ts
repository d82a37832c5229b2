import { sql, type Kysely, type Migration } from 'kysely';

/** Read models of the scheduling projection: schedule, runs, checkpoints. */
export const schedulingTables: Migration = {
  async up(db: Kysely<unknown>) {
    await db.schema
      .createTable('schedule')
      .addColumn('endpoint_id', 'text', (c) => c.primaryKey())
      .addColumn('tenant_id', 'text', (c) => c.notNull())
      .addColumn('job_id', 'text', (c) => c.notNull())
      .addColumn('stream_version', 'integer', (c) => c.notNull())
      .addColumn('status', 'text', (c) => c.notNull())
      .addColumn('next_run_at', 'timestamptz')
      .addColumn('slot_at', 'timestamptz')
      .addColumn('reason', 'text', (c) => c.notNull())
      .addColumn('state', 'jsonb', (c) => c.notNull())
      .addColumn('claimed_until', 'timestamptz')
      .addColumn('in_flight_run_id', 'text')
      .addColumn('hint_expires_at', 'timestamptz')
      .addColumn('updated_position', 'bigint', (c) => c.notNull())
      .execute();
    // The dispatcher's claim scans due rows in time order.
    await sql`create index schedule_due_idx on schedule (next_run_at) where status = 'active'`.execute(
      db,
    );
    await sql`create index schedule_hint_expiry_idx on schedule (hint_expires_at) where hint_expires_at is not null`.execute(
      db,
    );
    await db.schema
      .createIndex('schedule_job_idx')
      .on('schedule')
      .columns(['tenant_id', 'job_id'])
      .execute();

    await db.schema
      .createTable('runs')
      .addColumn('run_id', 'text', (c) => c.primaryKey())
      .addColumn('endpoint_id', 'text', (c) => c.notNull())
      .addColumn('tenant_id', 'text', (c) => c.notNull())
      .addColumn('job_id', 'text', (c) => c.notNull())
      .addColumn('scheduled_for', 'timestamptz', (c) => c.notNull())
      .addColumn('dispatched_at', 'timestamptz', (c) => c.notNull())
      .addColumn('attempt', 'integer', (c) => c.notNull())
      .addColumn('reason', 'text', (c) => c.notNull())
      .addColumn('status', 'text', (c) => c.notNull())
      .addColumn('lateness_ms', 'integer', (c) => c.notNull())
      .addColumn('started_at', 'timestamptz')
      .addColumn('finished_at', 'timestamptz')
      .addColumn('duration_ms', 'double precision')
      .addColumn('http_status', 'integer')
      .addColumn('error', 'text')
      .addColumn('dispatch_position', 'bigint', (c) => c.notNull())
      .addColumn('response_position', 'bigint')
      .addColumn('test', 'boolean', (c) => c.notNull().defaultTo(false))
      .execute();
    await db.schema
      .createIndex('runs_endpoint_idx')
      .on('runs')
      .columns(['endpoint_id', 'scheduled_for desc'])
      .execute();
    await db.schema
      .createIndex('runs_job_idx')
      .on('runs')
      .columns(['tenant_id', 'job_id', 'scheduled_for desc'])
      .execute();

    await db.schema
      .createTable('projection_checkpoints')
      .addColumn('name', 'text', (c) => c.primaryKey())
      .addColumn('position', 'bigint', (c) => c.notNull())
      .addColumn('updated_at', 'timestamptz', (c) => c.notNull())
      .execute();
  },
  async down(db: Kysely<unknown>) {
    await db.schema.dropTable('projection_checkpoints').execute();
    await db.schema.dropTable('runs').execute();
    await db.schema.dropTable('schedule').execute();
  },
};
