import {
  ENDPOINT_STATE_VERSION,
  endpointStream,
  type EndpointState,
  type EntityRef,
  type Holds,
} from '@orrery/domain';
import { sql } from 'kysely';
import type { SchedulingDb } from '../db.js';

/** A downstream as the read model holds it: its state (a snapshot) and its job's hold. */
export interface DownstreamRow {
  readonly state: EndpointState;
  readonly holds: Holds;
  readonly jobVersion: number;
}

/**
 * The read model's rows of the downstreams a batch touches, by stream id, in one query. A row of
 * another state version is left out (its stream is folded from the start instead).
 */
export async function loadDownstreams(
  db: SchedulingDb,
  refs: readonly EntityRef[],
): Promise<Map<string, DownstreamRow>> {
  const rows = new Map<string, DownstreamRow>();
  if (refs.length === 0) return rows;
  const result = await sql<{
    tenant_id: string;
    endpoint_id: string;
    state: EndpointState;
    stream_version: number;
    state_version: number;
    holds: Holds;
    job_version: number;
  }>`
    select s.tenant_id, s.endpoint_id, s.state, s.stream_version, s.state_version, s.holds,
      s.job_version
    from unnest(${refs.map((r) => r.tenantId)}::text[], ${refs.map((r) => r.id)}::text[]) as k(t, e)
    join schedule s on s.tenant_id = k.t and s.endpoint_id = k.e`.execute(db);
  for (const row of result.rows) {
    if (row.state_version !== ENDPOINT_STATE_VERSION) continue;
    rows.set(endpointStream(row.tenant_id, row.endpoint_id), {
      state: { ...row.state, version: row.stream_version },
      holds: row.holds,
      jobVersion: row.job_version,
    });
  }
  return rows;
}
