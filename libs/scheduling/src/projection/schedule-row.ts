import {
  ENDPOINT_STATE_VERSION,
  scheduleOf,
  type EndpointState,
  type Holds,
  type Millis,
} from '@orrery/domain';
import type { FoldedEndpoint } from './fold-batch.js';
import { holdsFor, type HoldsSource } from './holds-source.js';

/**
 * A schedule row's columns (`claimed_until` aside: a written row is never claimed), instants as
 * epoch milliseconds.
 */
export interface ScheduleRow {
  readonly endpoint_id: string;
  readonly tenant_id: string;
  readonly job_id: string;
  readonly stream_version: number;
  readonly status: 'active' | 'archived';
  readonly next_run_at: Millis | null;
  readonly slot_at: Millis | null;
  readonly reason: string;
  readonly state: EndpointState;
  readonly state_version: number;
  readonly in_flight_run_id: string | null;
  readonly hint_expires_at: Millis | null;
  readonly updated_position: number;
  readonly holds: Holds;
  readonly job_version: number;
  readonly as_of: Millis;
}

/**
 * The schedule row of a folded endpoint — a pure function of its state and of its job's and
 * tenant's (see `holdsFor`) — or null while it is unregistered (it has no row).
 */
export function scheduleRowOf(endpoint: FoldedEndpoint, source: HoldsSource): ScheduleRow | null {
  const { state, asOf, position } = endpoint;
  if (state.status === 'unregistered') return null;
  const held = holdsFor(source, state, asOf);
  const { holds } = held;
  const view = scheduleOf(state, held.asOf, holds);
  return {
    endpoint_id: state.endpointId,
    tenant_id: state.tenantId,
    job_id: state.jobId,
    stream_version: state.version,
    status: state.status,
    next_run_at: view.dueAt,
    slot_at: view.slot,
    reason: view.reason,
    state,
    state_version: ENDPOINT_STATE_VERSION,
    in_flight_run_id: state.inFlight?.runId ?? null,
    hint_expires_at: view.hintExpiresAt,
    updated_position: position,
    holds,
    job_version: holds.job?.version ?? 0,
    as_of: asOf,
  };
}
