import type { EdgeDefinition, GraphState, Millis } from '@orrery/domain';
import type { ApiDeps } from '../deps.js';
import { ProblemError } from '../problem.js';
import { readEndpoint } from '../reads/endpoints.js';
import { readJob } from '../reads/jobs.js';
import type { GraphView } from '../schemas/dependencies.js';
import { dependencyView, edgeStateOf, nodeOf, storedState } from './edge-state.js';
import { readGraph } from './graph-commands.js';

type ReadDeps = Pick<ApiDeps, 'store' | 'db' | 'pool' | 'now'>;

export interface Member {
  readonly endpointId: string;
  readonly jobId: string;
  readonly status: 'active' | 'archived';
  readonly state: ReturnType<typeof storedState>;
}

/**
 * The endpoints of `jobId` (every endpoint of the tenant when it is undefined) and those among
 * `ids`, as the read model holds them. An id the read
 * model has not seen yet (registered a moment ago) is read from its stream, so an edge is never
 * shown without its ends.
 */
async function members(
  deps: ReadDeps,
  tenantId: string,
  jobId: string | undefined,
  ids: readonly string[],
): Promise<Map<string, Member>> {
  const rows = await deps.db
    .selectFrom('schedule')
    .select(['endpoint_id', 'job_id', 'status', 'state'])
    .where('tenant_id', '=', tenantId)
    .$if(jobId !== undefined, (qb) =>
      qb.where((eb) =>
        ids.length === 0
          ? eb('job_id', '=', jobId ?? '')
          : eb.or([eb('job_id', '=', jobId ?? ''), eb('endpoint_id', 'in', [...ids])]),
      ),
    )
    .execute();
  const out = new Map<string, Member>(
    rows.map((row) => [
      row.endpoint_id,
      {
        endpointId: row.endpoint_id,
        jobId: row.job_id,
        status: row.status,
        state: storedState(row.state),
      },
    ]),
  );
  for (const id of ids.filter((id) => !out.has(id))) {
    const state = await readEndpoint(deps, tenantId, id).catch(() => null);
    if (!state) continue;
    const status = state.status === 'archived' ? 'archived' : 'active';
    out.set(id, { endpointId: id, jobId: state.jobId, status, state: storedState(state) });
  }
  return out;
}

export const endsOf = (edges: readonly EdgeDefinition[]) => [
  ...new Set(edges.flatMap((edge) => [edge.upstreamEndpointId, edge.downstreamEndpointId])),
];

/**
 * The edges of `graph` with an end in `jobId` (404 when the tenant has no such job), or all of
 * them when `jobId` is undefined.
 */
async function edgesOfJob(
  deps: ReadDeps,
  tenantId: string,
  jobId: string | undefined,
  graph: GraphState,
) {
  if (jobId !== undefined) await readJob(deps, tenantId, jobId);
  const all = Object.values(graph.edges);
  const found = await members(deps, tenantId, jobId, endsOf(all));
  const inJob = (id: string) => jobId === undefined || found.get(id)?.jobId === jobId;
  const edges = all.filter((e) => inJob(e.upstreamEndpointId) || inJob(e.downstreamEndpointId));
  return { edges, found };
}

/** Filters of a dependency listing. */
export interface DependencyFilter {
  readonly job?: string | undefined;
  readonly upstream?: string | undefined;
  readonly downstream?: string | undefined;
}

/**
 * The tenant's edges matching `filter`, by id. Read from the tenant's graph stream, folded (a
 * graph holds edges only, so it stays small), so a declaration is listed at once.
 */
export async function listDependencies(
  deps: ReadDeps,
  tenantId: string,
  filter: DependencyFilter,
): Promise<EdgeDefinition[]> {
  const graph = await readGraph(deps.store, tenantId);
  let edges = Object.values(graph.edges);
  if (filter.job !== undefined) {
    edges = (await edgesOfJob(deps, tenantId, filter.job, graph)).edges;
  }
  return edges
    .filter((e) => filter.upstream === undefined || e.upstreamEndpointId === filter.upstream)
    .filter((e) => filter.downstream === undefined || e.downstreamEndpointId === filter.downstream)
    .sort((a, b) => (a.edgeId < b.edgeId ? -1 : a.edgeId > b.edgeId ? 1 : 0));
}

/** One edge of the tenant's graph (404 when it holds none of this id). */
export async function readDependency(
  deps: ReadDeps,
  tenantId: string,
  edgeId: string,
): Promise<EdgeDefinition> {
  const edge = (await readGraph(deps.store, tenantId)).edges[edgeId];
  if (!edge) throw new ProblemError('not_found', `dependency ${edgeId} not found`);
  return edge;
}

/**
 * A job's part of the graph (or the tenant's whole graph): its endpoints, every endpoint of
 * another job on one of their edges, and those edges with what each downstream knows of them
 * now. Edges come from the graph stream; endpoints and edge states from the read model (the
 * downstream's folded state). As of an earlier point: {@link graphViewAt}.
 */
export async function graphView(
  deps: ReadDeps,
  tenantId: string,
  jobId: string | undefined,
): Promise<GraphView> {
  const graph = await readGraph(deps.store, tenantId);
  const { edges, found } = await edgesOfJob(deps, tenantId, jobId, graph);
  // The tenant's graph leaves out archived endpoints that no edge names.
  const shown = [...found.values()].filter((m) =>
    jobId === undefined ? m.status === 'active' : m.jobId === jobId,
  );
  return assembleGraph(found, shown, edges, jobId, deps.now());
}

/** The view of `edges` between `members` (`shown` are drawn even without an edge). */
export function assembleGraph(
  found: ReadonlyMap<string, Member>,
  shown: readonly Member[],
  edges: readonly EdgeDefinition[],
  jobId: string | undefined,
  now: Millis,
): GraphView {
  const nodeIds = new Set([...shown.map((m) => m.endpointId), ...endsOf(edges)]);
  const nodes = [...nodeIds].sort().flatMap((id) => {
    const member = found.get(id);
    return member ? [nodeOf(member, jobId ?? member.jobId)] : [];
  });
  const empty = storedState(null);
  return {
    nodes,
    edges: [...edges]
      .sort((a, b) => (a.edgeId < b.edgeId ? -1 : a.edgeId > b.edgeId ? 1 : 0))
      .map((edge) => ({
        ...dependencyView(edge),
        state: edgeStateOf(edge, found.get(edge.downstreamEndpointId)?.state ?? empty, now),
      })),
  };
}
