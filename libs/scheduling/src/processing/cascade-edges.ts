import { EdgeDefinition, type EntityRef } from '@orrery/domain';
import { sql, type Kysely, type Transaction } from 'kysely';
import type { SchedulingSchema } from '../read-model/schema.js';

type Trx = Transaction<SchedulingSchema>;

/** A change to a tenant's graph, as the cascade processor reads it from the log. */
export type EdgeChange =
  | {
      readonly kind: 'declared';
      readonly tenantId: string;
      readonly edge: EdgeDefinition;
      readonly position: number;
    }
  | { readonly kind: 'removed'; readonly tenantId: string; readonly edgeId: string };

const key = (tenantId: string, id: string) => `${tenantId}\n${id}`;

/** The edges out of some upstreams, with a batch's graph changes applied on top in order. */
export class OutgoingEdges {
  readonly #byUpstream = new Map<string, Map<string, EdgeDefinition>>();
  readonly #upstreamOf = new Map<string, string>();

  add(tenantId: string, edge: EdgeDefinition): void {
    const upstream = key(tenantId, edge.upstreamEndpointId);
    const edges = this.#byUpstream.get(upstream) ?? new Map<string, EdgeDefinition>();
    edges.set(edge.edgeId, edge);
    this.#byUpstream.set(upstream, edges);
    this.#upstreamOf.set(key(tenantId, edge.edgeId), upstream);
  }

  apply(change: EdgeChange): void {
    const edgeId = change.kind === 'declared' ? change.edge.edgeId : change.edgeId;
    const edgeKey = key(change.tenantId, edgeId);
    const upstream = this.#upstreamOf.get(edgeKey);
    if (upstream !== undefined) this.#byUpstream.get(upstream)?.delete(edgeId);
    this.#upstreamOf.delete(edgeKey);
    if (change.kind === 'declared') this.add(change.tenantId, change.edge);
  }

  from(tenantId: string, upstreamId: string): readonly EdgeDefinition[] {
    return [...(this.#byUpstream.get(key(tenantId, upstreamId))?.values() ?? [])];
  }
}

/** The edges out of `upstreams`, in one query. */
export async function loadEdges(
  db: Kysely<SchedulingSchema>,
  upstreams: readonly EntityRef[],
): Promise<OutgoingEdges> {
  const edges = new OutgoingEdges();
  if (upstreams.length === 0) return edges;
  const { rows } = await sql<{ tenant_id: string; definition: unknown }>`
    select e.tenant_id, e.definition
    from unnest(${upstreams.map((u) => u.tenantId)}::text[], ${upstreams.map((u) => u.id)}::text[])
      as k(t, u)
    join cascade_edges e on e.tenant_id = k.t and e.upstream_id = k.u`.execute(db);
  for (const row of rows) edges.add(row.tenant_id, EdgeDefinition.parse(row.definition));
  return edges;
}

/** Writes a batch's graph changes to `cascade_edges`, in order. */
export async function saveEdgeChanges(trx: Trx, changes: readonly EdgeChange[]): Promise<void> {
  for (const change of changes) {
    if (change.kind === 'removed') {
      await sql`delete from cascade_edges
        where tenant_id = ${change.tenantId} and edge_id = ${change.edgeId}`.execute(trx);
      continue;
    }
    const { edge } = change;
    await sql`insert into cascade_edges
        (tenant_id, edge_id, upstream_id, downstream_id, definition, declared_position)
      values (${change.tenantId}, ${edge.edgeId}, ${edge.upstreamEndpointId},
        ${edge.downstreamEndpointId}, ${JSON.stringify(edge)}::jsonb, ${change.position})
      on conflict (tenant_id, edge_id) do update set
        upstream_id = excluded.upstream_id, downstream_id = excluded.downstream_id,
        definition = excluded.definition, declared_position = excluded.declared_position`.execute(
      trx,
    );
  }
}
