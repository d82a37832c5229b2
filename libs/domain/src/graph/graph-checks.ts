import { differingPaths } from '../differences.js';
import { fail, type Result } from '../errors.js';
import { checkCondition } from '../expressions/index.js';
import { cycleText, GrowingGraph } from './cycles.js';
import { edgeIdOf, type EdgeDefinition } from './edge.js';

/** Whether two definitions of an edge are the same (key order ignored). */
export const sameEdge = (a: EdgeDefinition, b: EdgeDefinition): boolean =>
  differingPaths(a, b).length === 0;

/** Each edge on its own: its id, no self-dependency, no repeat in the batch, its condition. */
function checkEach(edges: readonly EdgeDefinition[]): Result<never> | null {
  const seen = new Map<string, number>();
  for (const [i, edge] of edges.entries()) {
    const { upstreamEndpointId: upstream, downstreamEndpointId: downstream } = edge;
    if (edge.edgeId !== edgeIdOf(upstream, downstream)) {
      return fail('validation', `edge id ${edge.edgeId} is not ${edgeIdOf(upstream, downstream)}`, {
        field: `edges.${i}.edgeId`,
      });
    }
    if (upstream === downstream) {
      return fail('unprocessable', `endpoint ${upstream} cannot depend on itself`, {
        field: `edges.${i}.upstream`,
        details: { cycle: [upstream, upstream] },
      });
    }
    const first = seen.get(edge.edgeId);
    if (first !== undefined) {
      return fail(
        'unprocessable',
        `${downstream} depends on ${upstream} twice (edges ${first} and ${i}): one edge per pair`,
        { field: `edges.${i}.upstream` },
      );
    }
    seen.set(edge.edgeId, i);
    const error = checkCondition(edge.condition);
    if (error) {
      const at = `at position ${error.position}`;
      return fail(
        'unprocessable',
        `condition of the edge from ${upstream}, ${at}: ${error.message}`,
        {
          field: `edges.${i}.condition`,
          details: { position: error.position, expression: error.expression },
        },
      );
    }
  }
  return null;
}

/**
 * Checks a batch of edges to declare against the graph `existing` once the edges in `removing`
 * are gone: each on its own (see {@link checkEach}), then the graph they make together — names
 * unique among a downstream's edges, and no cycle. Edges are added one by one in order, so the
 * first edge that closes a cycle (with the graph, or with edges before it in the batch) is the
 * one refused, with the cycle's path.
 */
export function checkEdges(
  existing: Readonly<Record<string, EdgeDefinition>>,
  edges: readonly EdgeDefinition[],
  removing: ReadonlySet<string>,
): Result<never> | null {
  const each = checkEach(edges);
  if (each) return each;
  const graph = new Map(Object.entries(existing).filter(([id]) => !removing.has(id)));
  const after = new Map(graph);
  for (const edge of edges) after.set(edge.edgeId, edge);
  const incoming = new Map<string, EdgeDefinition[]>();
  for (const edge of after.values()) {
    incoming.set(edge.downstreamEndpointId, [
      ...(incoming.get(edge.downstreamEndpointId) ?? []),
      edge,
    ]);
  }
  const indexOf = new Map(edges.map((edge, i) => [edge.edgeId, i]));
  for (const [i, edge] of edges.entries()) {
    // Of two edges of the batch with one name, the later one is blamed.
    const other = incoming
      .get(edge.downstreamEndpointId)
      ?.find(
        (e) =>
          e.name === edge.name && e.edgeId !== edge.edgeId && (indexOf.get(e.edgeId) ?? -1) < i,
      );
    if (other) {
      return fail(
        'unprocessable',
        `${edge.downstreamEndpointId} already has an edge named ${edge.name} (from ` +
          `${other.upstreamEndpointId}): names are unique among an endpoint's edges`,
        { field: `edges.${i}.name`, details: { name: edge.name, edgeId: other.edgeId } },
      );
    }
  }
  const growing = new GrowingGraph(graph.values());
  for (const [i, edge] of edges.entries()) {
    if (!graph.has(edge.edgeId)) {
      const cycle = growing.cycleWith(edge);
      if (cycle) {
        return fail('unprocessable', `the edge would close a cycle: ${cycleText(cycle)}`, {
          field: `edges.${i}.upstream`,
          details: { cycle },
        });
      }
      growing.add(edge);
    }
    graph.set(edge.edgeId, edge);
  }
  return null;
}
