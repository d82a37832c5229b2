/** The two ends of an edge, all that cycle detection needs. */
export interface EdgeEnds {
  readonly upstreamEndpointId: string;
  readonly downstreamEndpointId: string;
}

/** Downstreams by upstream, each list sorted so that paths found are deterministic. */
const adjacencyOf = (edges: Iterable<EdgeEnds>): ReadonlyMap<string, readonly string[]> => {
  const out = new Map<string, string[]>();
  for (const { upstreamEndpointId: from, downstreamEndpointId: to } of edges) {
    const next = out.get(from);
    if (next) next.push(to);
    else out.set(from, [to]);
  }
  for (const next of out.values()) next.sort();
  return out;
};

/**
 * A shortest path `from → … → to` along `edges` (endpoint ids, both ends included), or null
 * when `to` cannot be reached. A breadth-first search: linear in the size of the graph.
 */
export function findPath(
  edges: Iterable<EdgeEnds>,
  from: string,
  to: string,
): readonly string[] | null {
  return pathIn(adjacencyOf(edges), from, to);
}

/** {@link findPath} over an adjacency (downstreams by upstream, each list sorted). */
function pathIn(
  adjacency: ReadonlyMap<string, readonly string[]>,
  from: string,
  to: string,
): readonly string[] | null {
  const previous = new Map<string, string | null>([[from, null]]);
  const queue = [from];
  for (let head = 0; head < queue.length; head++) {
    const node = queue[head] as string;
    if (node === to) {
      const path: string[] = [];
      for (let at: string | null = node; at !== null; at = previous.get(at) ?? null) path.push(at);
      return path.reverse();
    }
    for (const next of adjacency.get(node) ?? []) {
      if (previous.has(next)) continue;
      previous.set(next, node);
      queue.push(next);
    }
  }
  return null;
}

/**
 * The cycle that adding `edge` to the acyclic graph `edges` would close, as the endpoint ids
 * along it starting and ending at the edge's upstream (`['a', 'b', 'c', 'a']` for a new edge
 * `a → b` when `b → c → a` exists), or null when the graph stays acyclic. An edge from an
 * endpoint to itself is the cycle `['a', 'a']`.
 *
 * @example
 * findCycle([{ upstreamEndpointId: 'b', downstreamEndpointId: 'a' }],
 *   { upstreamEndpointId: 'a', downstreamEndpointId: 'b' }) // → ['a', 'b', 'a']
 */
export function findCycle(edges: Iterable<EdgeEnds>, edge: EdgeEnds): readonly string[] | null {
  const back = findPath(edges, edge.downstreamEndpointId, edge.upstreamEndpointId);
  return back && [edge.upstreamEndpointId, ...back];
}

/**
 * A graph that grows edge by edge, to find the cycle each new edge would close without building
 * the adjacency again for every edge: checking N new edges costs the N insertions and the paths
 * searched, not N times the graph. Cycles are the ones {@link findCycle} finds.
 *
 * @example
 * const graph = new GrowingGraph(existing);
 * for (const edge of batch) { if (graph.cycleWith(edge)) return refuse(edge); graph.add(edge); }
 */
export class GrowingGraph {
  readonly #next = new Map<string, string[]>();

  constructor(edges: Iterable<EdgeEnds> = []) {
    for (const edge of edges) this.add(edge);
  }

  /** Adds an edge (its downstream kept in id order among its upstream's, as `adjacencyOf` sorts). */
  add({ upstreamEndpointId: from, downstreamEndpointId: to }: EdgeEnds): void {
    const next = this.#next.get(from);
    if (!next) {
      this.#next.set(from, [to]);
      return;
    }
    let low = 0;
    let high = next.length;
    while (low < high) {
      const middle = (low + high) >>> 1;
      if ((next[middle] as string) < to) low = middle + 1;
      else high = middle;
    }
    next.splice(low, 0, to);
  }

  /** The cycle adding `edge` would close, as {@link findCycle} gives it, or null. */
  cycleWith(edge: EdgeEnds): readonly string[] | null {
    const back = pathIn(this.#next, edge.downstreamEndpointId, edge.upstreamEndpointId);
    return back && [edge.upstreamEndpointId, ...back];
  }
}

/** A cycle's path as messages show it: `a → b → c → a`. */
export const cycleText = (cycle: readonly string[]): string => cycle.join(' → ');
