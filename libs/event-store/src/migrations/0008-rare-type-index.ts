import { sql, type Kysely, type Migration } from 'kysely';

/**
 * The per-run events, `RunDispatched` and `ResponseRecorded`, are nine in ten of a log's events
 * (the bench's generated log: 90%). Every other type is rare, and a rare type is what a user asks
 * for: `GET /v1/events?type=HintRejected` after a cursor, the tenants' `TenantCreated`, the
 * registrations a replay scope looks up.
 *
 * `events_type_idx (type)` answered those by collecting every event of the type in the log,
 * across tenants, then sorting: a page after a cursor grew with the log (`npm run bench -- --only
 * log`: p99 ×2.7 from 1M to 3M events, ×20 to 10M). This index is ordered by tenant and position
 * within a type, so such a page is one range of it, however long the log. It leaves the per-run
 * types out: they are dense, so a page of them is found by walking the tenant's positions
 * (`events_tenant_position_idx`), and the append of a run's two events now updates one index
 * fewer.
 *
 * The planner uses a partial index only when it can prove a query's condition implies the
 * index's: a query naming its types as constants or bound parameters does (each type other than
 * the two), a query that names one of the two does not, and walks the positions instead.
 */
export const rareTypeIndex: Migration = {
  async up(db: Kysely<unknown>) {
    await sql`
      create index events_rare_type_idx on events (type, tenant_id, position)
      where type not in ('RunDispatched', 'ResponseRecorded')`.execute(db);
    await sql`drop index events_type_idx`.execute(db);
  },
  async down(db: Kysely<unknown>) {
    await sql`create index events_type_idx on events (type)`.execute(db);
    await sql`drop index events_rare_type_idx`.execute(db);
  },
};
