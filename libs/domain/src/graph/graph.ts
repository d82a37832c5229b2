import type { DecideContext, Decided, Decider } from '../decider.js';
import { fail, ok } from '../errors.js';
import { makeEvent, type DomainEvent, type RecordedEvent } from '../events/event.js';
import type { EventMetadata } from '../events/metadata.js';
import type { EdgeDefinition } from './edge.js';
import { checkEdges, sameEdge } from './graph-checks.js';
import { checkReferences, type DownstreamConfig } from './references.js';

/**
 * A tenant's dependency graph (`graphStream(tenant)`): every edge by id. Acyclicity is decided
 * here, against one version of the whole graph, so two concurrent declarations can never close
 * a cycle together (the second is decided again on the graph the first left).
 */
export interface GraphState {
  readonly tenantId: string;
  readonly edges: Readonly<Record<string, EdgeDefinition>>;
  readonly version: number;
}

export const initialGraphState = (): GraphState => ({ tenantId: '', edges: {}, version: 0 });

/**
 * Commands on a tenant's graph. Refusals name the offending field as `edges.<i>.<field>` (with
 * the spec's names: `upstream`, `name`, `condition`) or `edgeIds.<i>`; the API spells them as
 * its request does.
 *
 * - `DeclareDependencies`: adds the edges, or replaces an edge of the same id whose definition
 *   changed; an identical edge is already satisfied (no event).
 * - `RemoveDependencies`: removes the edges; an unknown id is `not_found`.
 * - `ReplaceDependencies`: makes `edges` the whole set of the downstream's incoming edges,
 *   removing the others, in one decision (a name freed by a removed edge may be taken by a
 *   declared one).
 *
 * A graph change may not break a downstream's fan-in or templates: `downstreams` holds the
 * stored config of downstreams the command touches (by endpoint id), and one whose fan-in or
 * templates name only edges it has before the command must still do so after it (see
 * {@link checkReferences}); a downstream not in it is not checked. `ReplaceDependencies` may
 * carry the downstream's `config` as it will be (an endpoint created or updated with its
 * edges): then its fan-in and templates must name only the edges it has after the command.
 */
export type GraphCommand = (
  | {
      readonly type: 'DeclareDependencies';
      readonly tenantId: string;
      readonly edges: readonly EdgeDefinition[];
    }
  | {
      readonly type: 'RemoveDependencies';
      readonly edgeIds: readonly string[];
      readonly reason?: string;
    }
  | {
      readonly type: 'ReplaceDependencies';
      readonly tenantId: string;
      readonly downstream: string;
      readonly edges: readonly EdgeDefinition[];
      readonly reason?: string;
      readonly config?: DownstreamConfig;
    }
) & { readonly downstreams?: Readonly<Record<string, DownstreamConfig>> };

/** Folds one event of a graph stream (other events only move the version). */
export function evolveGraph(state: GraphState, event: DomainEvent | RecordedEvent): GraphState {
  const version = state.version + 1;
  const tenantId = state.tenantId || event.metadata.tenantId;
  switch (event.type) {
    case 'DependencyDeclared':
      return { tenantId, edges: { ...state.edges, [event.data.edgeId]: event.data }, version };
    case 'DependencyRemoved': {
      const { [event.data.edgeId]: _removed, ...edges } = state.edges;
      return { tenantId, edges, version };
    }
    default:
      return { ...state, version };
  }
}

/**
 * Folds events of a graph stream as {@link evolveGraph} one by one would, copying the edges once
 * rather than once per event: a stream (or a batch) of N edges folds in O(N), not O(N²).
 */
export function evolveGraphMany(
  state: GraphState,
  events: readonly (DomainEvent | RecordedEvent)[],
): GraphState {
  const edges = { ...state.edges };
  let { tenantId } = state;
  for (const event of events) {
    if (event.type === 'DependencyDeclared') edges[event.data.edgeId] = event.data;
    else if (event.type === 'DependencyRemoved') delete edges[event.data.edgeId];
    else continue;
    tenantId ||= event.metadata.tenantId;
  }
  return { tenantId, edges, version: state.version + events.length };
}

const removed = (edge: EdgeDefinition, reason: string, metadata: EventMetadata) =>
  makeEvent(
    'DependencyRemoved',
    {
      edgeId: edge.edgeId,
      upstreamEndpointId: edge.upstreamEndpointId,
      downstreamEndpointId: edge.downstreamEndpointId,
      reason,
    },
    metadata,
  );

/** The edges to declare after `removing`, checked; the events for the new or changed ones. */
function declare(
  state: GraphState,
  edges: readonly EdgeDefinition[],
  removing: ReadonlySet<string>,
  metadata: EventMetadata,
): Decided {
  const refused = checkEdges(state.edges, edges, removing);
  if (refused) return refused;
  const changed = edges.filter((edge) => {
    const current = state.edges[edge.edgeId];
    return !current || !sameEdge(current, edge);
  });
  return ok(changed.map((edge) => makeEvent('DependencyDeclared', edge, metadata)));
}

const assertTenant = (state: GraphState, tenantId: string) => {
  if (state.tenantId !== '' && state.tenantId !== tenantId) {
    throw new Error(`a command of tenant ${tenantId} on the graph of tenant ${state.tenantId}`);
  }
};

/** Decides a graph command (see {@link GraphCommand}). */
export function decideGraph(command: GraphCommand, state: GraphState, ctx: DecideContext): Decided {
  const decided = decideEdges(command, state, ctx.metadata);
  if (!decided.ok) return decided;
  const checked = command.downstreams !== undefined || command.type === 'ReplaceDependencies';
  if (!checked) return decided;
  const after = evolveGraphMany(state, decided.value);
  if (command.type === 'ReplaceDependencies' && command.config) {
    const { downstream, config } = command;
    const refused = checkReferences(downstream, config, incomingEdges(after, downstream));
    if (refused) return refused;
  }
  const touched = new Set(
    decided.value.flatMap((event) =>
      event.type === 'DependencyDeclared' || event.type === 'DependencyRemoved'
        ? [event.data.downstreamEndpointId]
        : [],
    ),
  );
  for (const endpointId of [...touched].sort()) {
    const config = command.downstreams?.[endpointId];
    if (!config) continue;
    const broken = checkReferences(endpointId, config, incomingEdges(after, endpointId));
    // A config that names an edge it lacks already is not this command's doing.
    if (broken && !checkReferences(endpointId, config, incomingEdges(state, endpointId))) {
      return broken;
    }
  }
  return decided;
}

function decideEdges(command: GraphCommand, state: GraphState, metadata: EventMetadata): Decided {
  switch (command.type) {
    case 'DeclareDependencies':
      assertTenant(state, command.tenantId);
      return declare(state, command.edges, new Set(), metadata);
    case 'RemoveDependencies': {
      const ids = [...new Set(command.edgeIds)];
      const events: DomainEvent[] = [];
      for (const edgeId of ids) {
        const edge = state.edges[edgeId];
        if (!edge) {
          return fail('not_found', `dependency ${edgeId} not found`, {
            field: `edgeIds.${command.edgeIds.indexOf(edgeId)}`,
          });
        }
        events.push(removed(edge, command.reason ?? '', metadata));
      }
      return ok(events);
    }
    case 'ReplaceDependencies': {
      assertTenant(state, command.tenantId);
      const stray = command.edges.findIndex((e) => e.downstreamEndpointId !== command.downstream);
      if (stray >= 0) {
        return fail('validation', `edge ${stray} does not end at ${command.downstream}`, {
          field: `edges.${stray}`,
        });
      }
      const listed = new Set(command.edges.map((edge) => edge.edgeId));
      const dropped = Object.values(state.edges).filter(
        (edge) => edge.downstreamEndpointId === command.downstream && !listed.has(edge.edgeId),
      );
      const removing = new Set(dropped.map((edge) => edge.edgeId));
      const declared = declare(state, command.edges, removing, metadata);
      if (!declared.ok) return declared;
      return ok([
        ...dropped.map((edge) => removed(edge, command.reason ?? '', metadata)),
        ...declared.value,
      ]);
    }
  }
}

/** Schema version of {@link GraphState} (see {@link Decider.stateVersion}). */
export const GRAPH_STATE_VERSION = 1;

/** The graph aggregate: one stream per tenant, `graph-<tenant>.dependencies`. */
export const graphDecider: Decider<GraphState, GraphCommand> = {
  name: 'graph',
  stateVersion: GRAPH_STATE_VERSION,
  initialState: initialGraphState,
  evolve: evolveGraph,
  evolveMany: evolveGraphMany,
  decide: decideGraph,
};

/** The incoming edges of `endpointId`, by name order. */
export const incomingEdges = (state: GraphState, endpointId: string): EdgeDefinition[] =>
  Object.values(state.edges)
    .filter((edge) => edge.downstreamEndpointId === endpointId)
    .sort((a, b) => a.name.localeCompare(b.name));
