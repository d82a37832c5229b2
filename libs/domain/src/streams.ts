/**
 * Stream ids. Endpoint and job ids are chosen by tenants, so two tenants may hold the same id:
 * their streams are scoped by the tenant, `endpoint-<tenantId>.<endpointId>` and
 * `job-<tenantId>.<jobId>`. Tenant ids never contain a dot, so the first dot after the prefix
 * separates the two parts whatever the entity id holds.
 */
export interface EntityRef {
  readonly tenantId: string;
  /** The endpoint or job id, unique within its tenant. */
  readonly id: string;
}

const scoped = (kind: string, tenantId: string, id: string): string => {
  if (tenantId === '' || tenantId.includes('.')) {
    throw new Error(`invalid tenant id ${JSON.stringify(tenantId)} for a ${kind} stream`);
  }
  return `${kind}-${tenantId}.${id}`;
};

const DASH = 45;

/** The dot of a well-formed `<kind>-<tenantId>.<id>`, or -1: the test without cutting strings. */
const scopedDot = (kind: string, streamId: string): number => {
  const start = kind.length + 1;
  if (!streamId.startsWith(kind) || streamId.charCodeAt(kind.length) !== DASH) return -1;
  const dot = streamId.indexOf('.', start);
  return dot > start && dot < streamId.length - 1 ? dot : -1;
};

const parseScoped = (kind: string, streamId: string): EntityRef | null => {
  const dot = scopedDot(kind, streamId);
  if (dot < 0) return null;
  return { tenantId: streamId.slice(kind.length + 1, dot), id: streamId.slice(dot + 1) };
};

/**
 * Whether `streamId` is a stream of `kind` that its parser reads (`parseEndpointStream` and the
 * others give non-null), without making the strings: a filter that runs for every event of a
 * replayed log only needs the answer.
 */
export const isStreamOf = (kind: 'endpoint' | 'job' | 'planner', streamId: string): boolean =>
  scopedDot(kind, streamId) >= 0;

/** One stream per endpoint of a tenant. */
export const endpointStream = (tenantId: string, endpointId: string): string =>
  scoped('endpoint', tenantId, endpointId);

/** The tenant and endpoint of an endpoint stream, or null for another kind of stream. */
export const parseEndpointStream = (streamId: string): EntityRef | null =>
  parseScoped('endpoint', streamId);

/** One stream per job of a tenant. */
export const jobStream = (tenantId: string, jobId: string): string =>
  scoped('job', tenantId, jobId);

/** The tenant and job of a job stream, or null for another kind of stream. */
export const parseJobStream = (streamId: string): EntityRef | null => parseScoped('job', streamId);

/** One stream per tenant (`tenant-<id>`): the tenant and its API keys. */
export const tenantStream = (tenantId: string): string => `tenant-${tenantId}`;

/** The tenant of a tenant stream, or null for another kind of stream. */
export const tenantIdOf = (streamId: string): string | null =>
  streamId.startsWith('tenant-') ? streamId.slice('tenant-'.length) : null;

/**
 * One dependency graph per tenant (`graph-<tenantId>`): every edge is declared there first, so
 * that acyclicity is decided against one consistent version of the graph.
 */
export const graphStream = (tenantId: string): string => scoped('graph', tenantId, 'dependencies');

/** One stream per pipeline of a tenant (`pipeline-<tenantId>.<name>`): its applies. */
export const pipelineStream = (tenantId: string, name: string): string =>
  scoped('pipeline', tenantId, name);

/**
 * One stream per analysed endpoint (`planner-<tenantId>.<endpointId>`): its planner sessions.
 * A session is appended in the same atomic append as the outcomes of its proposals.
 */
export const plannerStream = (tenantId: string, endpointId: string): string =>
  scoped('planner', tenantId, endpointId);

/** The tenant and endpoint of a planner stream, or null for another kind of stream. */
export const parsePlannerStream = (streamId: string): EntityRef | null =>
  parseScoped('planner', streamId);
