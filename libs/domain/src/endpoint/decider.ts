import type { Decider } from '../decider.js';
import type { EndpointCommand } from './commands.js';
import { decide } from './decide.js';
import { evolve } from './evolve.js';
import { initialState, type EndpointState } from './state.js';

/**
 * Schema version of {@link EndpointState}. Bump it when the state's shape or the meaning of a
 * field changes: stored snapshots of another version are then folded again from their stream.
 */
export const ENDPOINT_STATE_VERSION = 3;

/** The endpoint aggregate: one stream per endpoint, `endpoint-<tenant>.<id>`. */
export const endpointDecider: Decider<EndpointState, EndpointCommand> = {
  name: 'endpoint',
  stateVersion: ENDPOINT_STATE_VERSION,
  initialState,
  evolve,
  decide,
};
