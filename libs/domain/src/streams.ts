/** Stream ids: one stream per endpoint, `endpoint-<id>`. */
export const endpointStream = (endpointId: string): string => `endpoint-${endpointId}`;

/** The endpoint id of an endpoint stream, or null for another kind of stream. */
export const endpointIdOf = (streamId: string): string | null =>
  streamId.startsWith('endpoint-') ? streamId.slice('endpoint-'.length) : null;

/** One stream per tenant (`tenant-<id>`): the tenant and its API keys. */
export const tenantStream = (tenantId: string): string => `tenant-${tenantId}`;

/** One stream per job (`job-<id>`). */
export const jobStream = (jobId: string): string => `job-${jobId}`;

/** The job id of a job stream, or null for another kind of stream. */
export const jobIdOf = (streamId: string): string | null =>
  streamId.startsWith('job-') ? streamId.slice('job-'.length) : null;
