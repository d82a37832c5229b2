import type { DownstreamConfig, EdgeDefinition, EndpointState } from '@orrery/domain';
import type { ApiDeps } from '../deps.js';
import { ProblemError } from '../problem.js';
import { readEndpoint } from '../reads/endpoints.js';

type EndsDeps = Pick<ApiDeps, 'store' | 'db' | 'pool'>;

/**
 * An endpoint of the tenant an edge may end at: registered and not archived (404 naming which
 * end otherwise: another tenant's endpoints do not exist here).
 */
export async function activeEndpoint(
  deps: EndsDeps,
  tenantId: string,
  endpointId: string,
  end: 'upstream' | 'downstream',
): Promise<EndpointState> {
  const state = await readEndpoint(deps, tenantId, endpointId).catch((error: unknown) => {
    if (error instanceof ProblemError && error.code === 'not_found') {
      throw new ProblemError('not_found', `${end} endpoint ${endpointId} not found`);
    }
    throw error;
  });
  if (state.status !== 'active') {
    throw new ProblemError('not_found', `${end} endpoint ${endpointId} is archived`);
  }
  return state;
}

const configOf = (state: EndpointState): DownstreamConfig | undefined =>
  state.config ? { fanIn: state.config.fanIn, request: state.config.request } : undefined;

/**
 * Both ends of every edge are active endpoints of the tenant (404 otherwise), but `self`: the
 * endpoint the caller registers or changes, which it checks itself. Answers the stored configs
 * of the other downstreams (a change to the graph may not break their fan-in or templates).
 */
export async function checkEnds(
  deps: EndsDeps,
  tenantId: string,
  edges: readonly EdgeDefinition[],
  self?: string,
): Promise<Record<string, DownstreamConfig>> {
  const downstreams: Record<string, DownstreamConfig> = {};
  const checked = new Set(self === undefined ? [] : [self]);
  for (const id of new Set(edges.map((edge) => edge.downstreamEndpointId))) {
    if (checked.has(id)) continue;
    const config = configOf(await activeEndpoint(deps, tenantId, id, 'downstream'));
    if (config) downstreams[id] = config;
    checked.add(id);
  }
  for (const id of new Set(edges.map((edge) => edge.upstreamEndpointId))) {
    if (!checked.has(id)) await activeEndpoint(deps, tenantId, id, 'upstream');
  }
  return downstreams;
}

/** The stored configs of those of `endpointIds` the tenant registered (archived too). */
export async function storedConfigs(
  deps: EndsDeps,
  tenantId: string,
  endpointIds: readonly string[],
): Promise<Record<string, DownstreamConfig>> {
  const out: Record<string, DownstreamConfig> = {};
  for (const id of new Set(endpointIds)) {
    const state = await readEndpoint(deps, tenantId, id).catch((error: unknown) => {
      if (error instanceof ProblemError && error.code === 'not_found') return null;
      throw error;
    });
    const config = state && configOf(state);
    if (config) out[id] = config;
  }
  return out;
}
