import { endpointIdOf, endpointStream } from '@orrery/domain';
import { runIdFor } from '@orrery/scheduling';

// How the test fleet's ids are spelled in the log. Every helper under
// test/support goes through these, so a change in how stream and run ids are
// formed (e.g. scoping them by tenant) is made here and nowhere else.

/** The tenant that owns every endpoint of the fleet. */
export const FLEET_TENANT = 't1';

/** The stream of one fleet endpoint. */
export const streamOf = (endpointId: string): string => endpointStream(endpointId);

/** The endpoint id of an endpoint stream, or null for another kind of stream. */
export const endpointOf = (streamId: string): string | null => endpointIdOf(streamId);

/** The run id the dispatcher gives one slot of one endpoint. */
export const runIdOf = (endpointId: string, slot: number): string => runIdFor(endpointId, slot);
