import { jobStream } from '@orrery/domain';
import type { HoldsSource } from '../projection/holds-source.js';
import type { FoldResult } from './fold-writes.js';
import type { ParkedAt } from './memory-fold.js';
import { rowsOf, type ReadyRows } from './ready-rows.js';
import { scheduleCopyData } from './schedule-copy.js';

/**
 * What a fold left, as it is written: the schedule rows and the runs still in flight already as
 * the bytes of their COPY — made where the fold ran, so each fold thread builds its own endpoints'
 * rows, at once, and hands over bytes instead of every endpoint's state.
 */
export interface FinalRows {
  /** One row per registered endpoint of the part (see `scheduleCopyData`). */
  readonly schedule: Uint8Array;
  readonly open: readonly Uint8Array[];
  readonly jobs: FoldResult['jobs'];
  readonly tenants: FoldResult['tenants'];
  readonly changedTenants: FoldResult['changedTenants'];
  readonly rest: ReadyRows | null;
  readonly parked: readonly ParkedAt[];
}

/**
 * A fold's result as {@link FinalRows}. Its endpoints' holds come from the jobs and tenants it
 * folded itself: every part of a partitioned replay folds them all.
 */
export function finalRowsOf(result: FoldResult): FinalRows {
  const source: HoldsSource = {
    job: (tenantId, jobId) => result.jobs.get(jobStream(tenantId, jobId))?.state ?? null,
    tenant: (tenantId) => result.tenants.get(tenantId) ?? null,
  };
  const { runs } = rowsOf({ runs: result.open, conflicts: [], sessions: [] });
  return {
    schedule: scheduleCopyData(result.endpoints.values(), source, result.endpoints.size),
    open: runs,
    jobs: result.jobs,
    tenants: result.tenants,
    changedTenants: result.changedTenants,
    rest: result.rest && rowsOf(result.rest),
    parked: result.parked,
  };
}

/** The buffers of {@link FinalRows}, to transfer to another thread rather than copy them. */
export const finalBuffers = (rows: FinalRows): ArrayBuffer[] =>
  [rows.schedule, ...rows.open, ...(rows.rest?.runs ?? [])].map(
    (bytes) => bytes.buffer as ArrayBuffer,
  );
