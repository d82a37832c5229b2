import { foldWith } from '../decider.js';
import { differingPaths } from '../differences.js';
import type { DomainError } from '../errors.js';
import type { DomainEvent } from '../events/event.js';
import { edgeOf, type EdgeDefinition } from '../graph/edge.js';
import { graphDecider, type GraphCommand, type GraphState } from '../graph/graph.js';
import { checkCorrelation } from '../expressions/index.js';
import { checkReferences } from '../graph/references.js';
import { endpointStream, graphStream } from '../streams.js';
import type { AppliedConfigs } from './plan-endpoints.js';
import type { Ownership, PlanOutput } from './plan-output.js';

interface DeclaredEdge {
  readonly edge: EdgeDefinition;
  /** Where the document declares it: `jobs.0.endpoints.2.dependsOn.1`. */
  readonly path: string;
}

/** A graph refusal as an issue at the document path of the edge it blames (`edges.<i>.…`). */
function graphIssue(out: PlanOutput, error: DomainError, declared: readonly DeclaredEdge[]) {
  const match = /^edges\.(\d+)(?:\.(\w+))?$/.exec(error.field ?? '');
  const at = match ? declared[Number(match[1])] : undefined;
  const member = match?.[2] === 'edgeId' ? 'upstream' : match?.[2];
  const field = at ? `${at.path}${member ? `.${member}` : ''}` : (error.field ?? 'jobs');
  const cycle = error.details?.['cycle'];
  const path = Array.isArray(cycle) ? cycle.map(String) : undefined;
  out.issue(
    error.code === 'validation' ? 'validation' : 'unprocessable',
    field,
    error.message,
    path,
  );
}

/** Each upstream the document names is in it, or an active endpoint that this apply keeps. */
function checkUpstreams(out: PlanOutput, declared: readonly DeclaredEdge[], dropped: Set<string>) {
  for (const { edge, path } of declared) {
    const upstream = edge.upstreamEndpointId;
    if (out.declared.has(upstream)) continue;
    const state = out.live.endpoints.get(upstream);
    const field = `${path}.upstream`;
    if (!state || state.status === 'unregistered') {
      const why = 'neither in this document nor registered in the tenant';
      out.issue('unprocessable', field, `unknown endpoint ${upstream}: ${why}`);
    } else if (state.status === 'archived') {
      out.issue('unprocessable', field, `endpoint ${upstream} is archived`);
    } else if (dropped.has(upstream)) {
      const why = 'this document drops it from the pipeline, which archives it';
      out.issue('unprocessable', field, `endpoint ${upstream} is going away: ${why}`);
    }
  }
}

/** Runs one graph command; its events, folded into the graph, or null when it was refused. */
function decide(
  out: PlanOutput,
  graph: GraphState,
  command: GraphCommand,
  declared: readonly DeclaredEdge[],
): { events: readonly DomainEvent[]; after: GraphState } | null {
  const decided = graphDecider.decide(command, graph, out.ctx);
  if (!decided.ok) {
    graphIssue(out, decided.error, declared);
    return null;
  }
  return { events: decided.value, after: foldWith(graphDecider, decided.value, graph) };
}

/**
 * Fan-ins and templates of the document's endpoints name only edges they have once applied, and
 * their fan-in correlations compile.
 */
function checkDownstreams(out: PlanOutput, graph: GraphState, configs: AppliedConfigs) {
  const incoming = new Map<string, EdgeDefinition[]>();
  for (const edge of Object.values(graph.edges)) {
    const list = incoming.get(edge.downstreamEndpointId);
    if (list) list.push(edge);
    else incoming.set(edge.downstreamEndpointId, [edge]);
  }
  for (const { endpoint, path } of out.places) {
    const config = configs.get(endpoint.id);
    const edges = incoming.get(endpoint.id) ?? [];
    const refused = config && checkReferences(endpoint.id, config, edges);
    if (refused && !refused.ok) {
      const field = refused.error.field?.replace(/^config/, path) ?? path;
      out.issue('unprocessable', field, refused.error.message);
    }
    const correlation = config?.fanIn?.correlation;
    const error = correlation === undefined ? null : checkCorrelation(correlation);
    if (error) {
      const message = `the fan-in's correlation of ${endpoint.id}: ${error.message}`;
      out.issue('unprocessable', `${path}.fanIn.correlation`, message);
    }
  }
}

/**
 * Decides the document's edges with the graph decider, against the live graph: removes the edges
 * the pipeline created that the document drops, then declares every edge the document names (new
 * and changed ones become events; a cycle through the live graph and the document is refused with
 * its path). Each event goes on the graph stream and on its downstream's stream.
 */
export function planGraph(
  out: PlanOutput,
  dropped: Set<string>,
  configs: AppliedConfigs,
): Ownership {
  const { input, live } = out;
  const declared: DeclaredEdge[] = out.places.flatMap(({ endpoint, path }) =>
    endpoint.dependsOn.map((spec, k) => ({
      edge: edgeOf(endpoint.id, spec),
      path: `${path}.dependsOn.${k}`,
    })),
  );
  checkUpstreams(out, declared, dropped);
  const declaredIds = new Set(declared.map(({ edge }) => edge.edgeId));
  const previous = new Set(live.pipeline.created.edges);
  const removing = [...previous].filter((id) => !declaredIds.has(id) && id in live.graph.edges);
  const events: DomainEvent[] = [];
  let graph = live.graph;
  if (removing.length > 0) {
    const reason = `dropped from pipeline ${input.name}`;
    const command: GraphCommand = { type: 'RemoveDependencies', edgeIds: removing, reason };
    const removed = decide(out, graph, command, declared);
    if (removed) ({ after: graph } = removed);
    events.push(...(removed?.events ?? []));
    out.edges.archive.push(...removing);
  }
  const before = graph;
  const edges = declared.map(({ edge }) => edge);
  const command: GraphCommand = { type: 'DeclareDependencies', tenantId: input.tenantId, edges };
  const added = decide(out, graph, command, declared);
  if (added) {
    for (const event of added.events) {
      if (event.type !== 'DependencyDeclared') continue;
      const current = before.edges[event.data.edgeId];
      if (!current) out.edges.create.push(event.data.edgeId);
      else
        out.edges.change.push({ id: current.edgeId, fields: differingPaths(current, event.data) });
    }
    out.edges.unchanged = declared.length - added.events.length;
    events.push(...added.events);
    checkDownstreams(out, added.after, configs);
  }
  out.append(graphStream(input.tenantId), live.graph.version, events);
  for (const event of events) {
    if (event.type !== 'DependencyDeclared' && event.type !== 'DependencyRemoved') continue;
    const id = event.data.downstreamEndpointId;
    const version = live.endpoints.get(id)?.version ?? 0;
    out.append(endpointStream(input.tenantId, id), version, [event]);
  }
  const owned: Ownership = { created: [], adopted: [] };
  for (const id of declaredIds) {
    const created = previous.has(id) || !(id in live.graph.edges);
    (created ? owned.created : owned.adopted).push(id);
  }
  return owned;
}
