import { sql, type Kysely, type Migration } from 'kysely';

/**
 * Cascades.
 *
 * - `cascade_edges`: the edges of every tenant's graph as the cascade processor has read them
 *   from the log, by upstream — so that for each upstream response it finds the downstreams to
 *   tell, consistently with the log's order (an edge declared after a response never sees it).
 * - Endpoint snapshots gain the cascade part of the state (state version 2). Before this
 *   migration no cascade event could exist, so a version-1 state is the version-2 state with no
 *   edges and nothing waiting: the rows are upgraded in place instead of folded again.
 */
export const cascades: Migration = {
  async up(db: Kysely<unknown>) {
    await sql`create table cascade_edges (
      tenant_id text not null,
      edge_id text not null,
      upstream_id text not null,
      downstream_id text not null,
      definition jsonb not null,
      declared_position bigint not null,
      primary key (tenant_id, edge_id))`.execute(db);
    await sql`create index cascade_edges_upstream_idx on cascade_edges (tenant_id, upstream_id)`.execute(
      db,
    );
    await sql`update schedule
      set state = state || '{"lastSkip": null, "cascade": {"edges": {}, "pending": [], "fired": [], "ownRunAt": null}}'::jsonb,
        state_version = 2
      where state_version = 1`.execute(db);
  },
  async down(db: Kysely<unknown>) {
    await sql`drop table cascade_edges`.execute(db);
    await sql`update schedule set state = state - 'lastSkip' - 'cascade', state_version = 1
      where state_version = 2`.execute(db);
  },
};
