import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { foldWith } from '../decider.js';
import type { DomainEvent } from '../events/event.js';
import type { EventMetadata } from '../events/metadata.js';
import { findCycle, findPath, type EdgeEnds } from './cycles.js';
import { edgeOf } from './edge.js';
import { graphDecider, type GraphCommand, type GraphState } from './graph.js';

const e = (upstream: string, downstream: string): EdgeEnds => ({
  upstreamEndpointId: upstream,
  downstreamEndpointId: downstream,
});

/** An independent oracle: Kahn's algorithm (a graph is acyclic iff every node can be peeled). */
function isAcyclic(edges: readonly EdgeEnds[]): boolean {
  const indegree = new Map<string, number>();
  for (const { upstreamEndpointId: u, downstreamEndpointId: d } of edges) {
    indegree.set(u, indegree.get(u) ?? 0);
    indegree.set(d, (indegree.get(d) ?? 0) + 1);
  }
  const ready = [...indegree].filter(([, n]) => n === 0).map(([node]) => node);
  let peeled = 0;
  while (ready.length > 0) {
    const node = ready.pop() as string;
    peeled++;
    for (const edge of edges.filter((x) => x.upstreamEndpointId === node)) {
      const left = (indegree.get(edge.downstreamEndpointId) ?? 0) - 1;
      indegree.set(edge.downstreamEndpointId, left);
      if (left === 0) ready.push(edge.downstreamEndpointId);
    }
  }
  return peeled === indegree.size;
}

describe('findPath and findCycle', () => {
  it('finds the shortest path, both ends included', () => {
    const edges = [e('a', 'b'), e('b', 'c'), e('c', 'd'), e('a', 'd')];
    expect(findPath(edges, 'a', 'd')).toEqual(['a', 'd']);
    expect(findPath(edges, 'b', 'd')).toEqual(['b', 'c', 'd']);
    expect(findPath(edges, 'd', 'a')).toBeNull();
  });

  it('names the cycle an edge would close, from its upstream back to it', () => {
    const edges = [e('b', 'c'), e('c', 'a')];
    expect(findCycle(edges, e('a', 'b'))).toEqual(['a', 'b', 'c', 'a']);
    expect(findCycle(edges, e('b', 'a'))).toBeNull();
    expect(findCycle([], e('a', 'a'))).toEqual(['a', 'a']);
  });
});

const meta: EventMetadata = { tenantId: 't1', actor: { kind: 'user', id: 'key:k1' } };
const nodes = ['a', 'b', 'c', 'd', 'e', 'f'];
const node = fc.constantFrom(...nodes);
const step = fc.oneof(
  fc.array(fc.tuple(node, node), { minLength: 1, maxLength: 3 }).map((pairs): GraphCommand => ({
    type: 'DeclareDependencies',
    tenantId: 't1',
    edges: pairs.map(([u, d]) => edgeOf(d, { upstream: u, name: `from_${u}` })),
  })),
  fc.tuple(node, node).map(([u, d]): GraphCommand => ({
    type: 'RemoveDependencies',
    edgeIds: [`${u}.${d}`],
  })),
);

const endsOf = (state: GraphState) => Object.values(state.edges);

describe('the graph after any sequence of decisions', () => {
  it('stays acyclic, and a declaration is refused only when it would close a cycle', () => {
    fc.assert(
      fc.property(fc.array(step, { maxLength: 40 }), (steps) => {
        let state = graphDecider.initialState();
        for (const command of steps) {
          const decided = graphDecider.decide(command, state, { now: 0, metadata: meta });
          if (command.type === 'DeclareDependencies') {
            const distinct = new Set(command.edges.map((x) => x.edgeId)).size;
            const wellFormed =
              distinct === command.edges.length &&
              command.edges.every((x) => x.upstreamEndpointId !== x.downstreamEndpointId);
            const after = new Map(Object.entries(state.edges));
            for (const edge of command.edges) after.set(edge.edgeId, edge);
            const acceptable = wellFormed && isAcyclic([...after.values()]);
            expect(decided.ok).toBe(acceptable);
            if (!decided.ok && wellFormed) {
              expect(decided.error.code).toBe('unprocessable');
              const cycle = decided.error.details?.['cycle'] as string[];
              expect(cycle[0]).toBe(cycle.at(-1));
            }
          }
          if (decided.ok) state = foldWith(graphDecider, decided.value as DomainEvent[], state);
          expect(isAcyclic(endsOf(state))).toBe(true);
        }
      }),
      { numRuns: 300 },
    );
  });
});
