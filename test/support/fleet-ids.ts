import { endpointStream, parseEndpointStream, runIdFor } from '@orrery/domain';

// How the test fleet's ids are spelled in the log. Every helper under
// test/support goes through these, so a change in how stream and run ids are
// formed is made here and nowhere else.

/** The tenant that owns every endpoint of the fleet. */
export const FLEET_TENANT = 't1';

/** The stream of one fleet endpoint. */
export const streamOf = (endpointId: string): string => endpointStream(FLEET_TENANT, endpointId);

/** The endpoint id of an endpoint stream of the fleet's tenant, or null for any other stream. */
export const endpointOf = (streamId: string): string | null => {
  const ref = parseEndpointStream(streamId);
  return ref && ref.tenantId === FLEET_TENANT ? ref.id : null;
};

/** The run id the dispatcher gives one slot of one endpoint. */
export const runIdOf = (endpointId: string, slot: number): string => runIdFor(endpointId, slot);
