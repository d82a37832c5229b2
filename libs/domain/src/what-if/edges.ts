import type { EndpointState } from '../endpoint/state.js';
import { evolve } from '../endpoint/evolve.js';
import { fail, ok, type Result } from '../errors.js';
import { makeEvent, type RecordedEvent } from '../events/event.js';
import type { EventMetadata } from '../events/metadata.js';
import { checkFanIn } from '../expressions/index.js';
import { edgeOf, type EdgeDefinition } from '../graph/edge.js';
import { checkEdges } from '../graph/graph-checks.js';
import type { WhatIfChanges } from './changes.js';

export interface EdgeChanges {
  /** Edges added, by downstream. */
  readonly added: ReadonlyMap<string, readonly EdgeDefinition[]>;
  readonly removed: ReadonlySet<string>;
}

/**
 * The edge changes of a what-if, checked: an added edge leads into a simulated endpoint from one
 * whose responses are known (simulated, or read as an upstream), its condition compiles and it
 * closes no cycle with the edges of the simulated endpoints; a removed edge is one of theirs
 * (at the start of the window or declared in it); no fan-in is left naming an edge it lost.
 */
export function checkEdgeChanges(
  changes: WhatIfChanges['edges'],
  states: ReadonlyMap<string, EndpointState>,
  streams: ReadonlyMap<string, readonly RecordedEvent[]>,
  upstreams: ReadonlySet<string>,
): Result<EdgeChanges> {
  const unprocessable = (field: string, message: string) =>
    fail('unprocessable', message, { field: `changes.edges.${field}` });
  const added: EdgeDefinition[] = [];
  for (const [i, spec] of changes.add.entries()) {
    if (!states.has(spec.downstream)) {
      return unprocessable(`add.${i}.downstream`, `${spec.downstream} is not simulated`);
    }
    if (!states.has(spec.upstream) && !upstreams.has(spec.upstream)) {
      return unprocessable(`add.${i}.upstream`, `upstream ${spec.upstream} not found`);
    }
    const { downstream, ...edge } = spec;
    added.push(edgeOf(downstream, edge));
  }
  const known = new Map<string, EdgeDefinition>();
  for (const [id, state] of states) {
    for (const inputs of Object.values(state.cascade.edges))
      known.set(inputs.edge.edgeId, inputs.edge);
    for (const event of streams.get(id) ?? []) {
      if (event.type === 'DependencyDeclared') known.set(event.data.edgeId, event.data);
    }
  }
  for (const [i, edgeId] of changes.remove.entries()) {
    if (!known.has(edgeId)) {
      return unprocessable(`remove.${i}`, `no edge ${edgeId} into a simulated endpoint`);
    }
  }
  const removed = new Set(changes.remove);
  const current = Object.fromEntries(
    [...states.values()].flatMap((s) =>
      Object.values(s.cascade.edges).map((e) => [e.edge.edgeId, e.edge]),
    ),
  );
  const checked = checkEdges(current, added, removed);
  if (checked && !checked.ok) {
    const field = checked.error.field?.replace(/^edges\./, 'add.') ?? 'add';
    return unprocessable(field, checked.error.message);
  }
  const byDownstream = new Map<string, EdgeDefinition[]>();
  for (const edge of added) {
    byDownstream.set(edge.downstreamEndpointId, [
      ...(byDownstream.get(edge.downstreamEndpointId) ?? []),
      edge,
    ]);
  }
  for (const [id, state] of states) {
    const combine = state.config?.fanIn?.combine;
    if (combine === undefined) continue;
    const after = applyEdgeChanges(state, { added: byDownstream, removed }, null);
    const names = Object.values(after.cascade.edges)
      .filter((e) => e.edge.mode === 'trigger')
      .map((e) => e.edge.name);
    const error = checkFanIn(combine, names);
    if (error) {
      return unprocessable(
        'remove',
        `the fan-in of ${id} would name an edge it no longer has: ${error.message}`,
      );
    }
  }
  return ok({ added: byDownstream, removed });
}

/** The state with the edge changes applied (edges removed, added ones declared). */
export function applyEdgeChanges(
  state: EndpointState,
  changes: EdgeChanges,
  metadata: EventMetadata | null,
): EndpointState {
  if (state.status === 'unregistered') return state;
  const meta = metadata ?? {
    tenantId: state.tenantId || 'what-if',
    actor: { kind: 'system', id: 'what-if' },
  };
  let next = state;
  for (const inputs of Object.values(state.cascade.edges)) {
    const { edgeId, upstreamEndpointId, downstreamEndpointId } = inputs.edge;
    if (!changes.removed.has(edgeId)) continue;
    next = evolve(
      next,
      makeEvent(
        'DependencyRemoved',
        { edgeId, upstreamEndpointId, downstreamEndpointId, reason: 'what-if' },
        meta,
      ),
    );
  }
  for (const edge of changes.added.get(state.endpointId) ?? []) {
    next = evolve(next, makeEvent('DependencyDeclared', edge, meta));
  }
  return next;
}
