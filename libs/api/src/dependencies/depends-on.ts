import {
  edgeOf,
  type DependencySpecInput,
  type EdgeDefinition,
  type EndpointConfig,
  type EventMetadata,
} from '@orrery/domain';
import {
  checkReplaceDependencies,
  replaceDependencies,
  type Companion,
  type GraphDeps,
} from './graph-commands.js';

/**
 * A graph refusal's field as an endpoint body spells it: `edges.1.condition` →
 * `body.dependsOn.1.condition`, `config.fanIn.combine` → `body.fanIn.combine`.
 */
export const dependsOnField = (path: string): string => {
  if (path.startsWith('edges.')) return `body.dependsOn.${path.slice('edges.'.length)}`;
  if (path.startsWith('config.')) return `body.${path.slice('config.'.length)}`;
  return 'body.dependsOn';
};

/** The edges an endpoint's `dependsOn` declares on it. */
export const edgesOf = (
  endpointId: string,
  dependsOn: readonly DependencySpecInput[],
): EdgeDefinition[] => dependsOn.map((spec) => edgeOf(endpointId, spec));

/** The endpoint's `dependsOn`, applied: for a create (after the checks) or an update. */
export interface DependsOn {
  readonly deps: GraphDeps;
  readonly tenantId: string;
  readonly endpointId: string;
  readonly edges: readonly EdgeDefinition[];
  /** The endpoint's config as it is (or will be) once the request is done. */
  readonly config: Pick<EndpointConfig, 'fanIn' | 'request'>;
  readonly metadata: EventMetadata;
}

/**
 * Checks `dependsOn` before its endpoint is registered (nothing is registered when an edge is
 * refused): its upstreams exist (404) and the graph would take the edges (422).
 */
export const checkEndpointEdges = (d: DependsOn): Promise<void> =>
  checkReplaceDependencies(
    d.deps,
    d.tenantId,
    d.endpointId,
    d.edges,
    d.config,
    d.metadata,
    dependsOnField,
  );

/**
 * Makes `dependsOn` the endpoint's whole set of incoming edges; with `companion` (the endpoint's
 * registration), in the same transaction.
 */
export const applyEndpointEdges = (d: DependsOn, reason: string, companion?: Companion) =>
  replaceDependencies(d.deps, d.tenantId, d.endpointId, d.edges, d.config, d.metadata, {
    fieldOf: dependsOnField,
    reason,
    ...(companion ? { companion } : {}),
  });
