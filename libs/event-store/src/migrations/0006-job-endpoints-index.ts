import { sql, type Kysely, type Migration } from 'kysely';

/**
 * The endpoints registered in a job, found without reading the log: GET /v1/events?jobId= and a
 * job's history look them up by the `jobId` of their `EndpointRegistered` events, which without
 * this meant every registration of the tenant (and, on a long log, most of its rows: measured by
 * `npm run bench -- --only log`, p99 82 ms at 1M events, 638 ms at 10M). Partial: only
 * registrations are in it, so no other append pays for it.
 */
export const jobEndpointsIndex: Migration = {
  async up(db: Kysely<unknown>) {
    await sql`
      create index events_job_endpoints_idx on events (tenant_id, (data->>'jobId'), stream_id)
      where type = 'EndpointRegistered'`.execute(db);
  },
  async down(db: Kysely<unknown>) {
    await sql`drop index events_job_endpoints_idx`.execute(db);
  },
};
