/** Stream ids: one stream per endpoint, `endpoint-<id>`. */
export const endpointStream = (endpointId: string): string => `endpoint-${endpointId}`;

/** The endpoint id of an endpoint stream, or null for another kind of stream. */
export const endpointIdOf = (streamId: string): string | null =>
  streamId.startsWith('endpoint-') ? streamId.slice('endpoint-'.length) : null;
