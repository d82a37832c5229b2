import { sql, type Kysely, type Migration } from 'kysely';

/**
 * Each run gets its outcome (see `RunOutcome` in the domain): `pending` until its response is
 * recorded, then what the response says. Rows written before this migration are filled in from
 * their ResponseRecorded event, by the same rules as `runOutcome`, so they read exactly as a
 * rebuild of the read model from the log would write them.
 */
export const runOutcomes: Migration = {
  async up(db: Kysely<unknown>) {
    await sql`alter table runs add column outcome text not null default 'pending'`.execute(db);
    await sql`
      update runs set outcome = case
          when e.data->'error'->>'kind' in ('timeout', 'network', 'refused', 'internal')
            then e.data->'error'->>'kind'
          when jsonb_typeof(e.data->'status') is distinct from 'number'
            or (e.data->>'status')::int not between 200 and 299
            then 'http_error'
          when (e.data->>'bodyTruncated')::boolean or e.data->'error'->>'kind' = 'too_large'
            then 'truncated'
          else 'succeeded'
        end
      from events e
      where runs.response_position is not null and e.position = runs.response_position`.execute(db);
  },
  async down(db: Kysely<unknown>) {
    await sql`alter table runs drop column outcome`.execute(db);
  },
};
