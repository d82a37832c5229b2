import type { Transaction } from 'kysely';
import type { FoldedEndpoint } from '../projection/fold-batch.js';
import type { FoldedJob } from '../projection/fold-jobs.js';
import type { TenantStatus } from '../projection/holds-source.js';
import { writeConflicts, writePlannerSessions } from '../projection/planner-reads.js';
import { writeTenantStatus } from '../projection/tenant-holds.js';
import { writeJobs } from '../projection/write-jobs.js';
import { ParkedStreams } from '../processing/parked.js';
import type { SchedulingSchema } from '../read-model/schema.js';
import type { ParkedAt, RunDoc } from './memory-fold.js';
import { rowsOf, slices, type Ready, type ReadyRows } from './ready-rows.js';
import { copyRuns } from './runs-copy.js';
import type { FinalRows } from './final-rows.js';
import { copySchedule } from './schedule-copy.js';
import type { Shadow } from './shadow.js';

export type { Ready, ReadyRows };

type Trx = Transaction<SchedulingSchema>;

/** Rows per statement of the projection's writers (well under the protocol's 65 535 parameters). */
const WRITE_CHUNK = 2_000;

/** What a fold leaves once the log is read (see `MemoryFold.result`). */
export interface FoldResult {
  readonly endpoints: ReadonlyMap<string, FoldedEndpoint>;
  readonly jobs: ReadonlyMap<string, FoldedJob>;
  readonly tenants: ReadonlyMap<string, TenantStatus>;
  readonly changedTenants: ReadonlySet<string>;
  /** Runs dispatched and never answered. */
  readonly open: readonly RunDoc[];
  /** Rows not taken yet. */
  readonly rest: Ready | null;
  readonly parked: readonly ParkedAt[];
}

/** Where the rows go: the shadow's connection and its pool (for COPY). */
type Target = Pick<Shadow, 'db' | 'pool'>;

/** Writes ready rows (into an empty shadow: every row is new). */
export async function writeRows(shadow: Target, rows: ReadyRows): Promise<void> {
  for (const data of rows.runs) await copyRuns(shadow.pool, data);
  await writeSmallRows(shadow.db as Trx, rows);
}

export const writeReady = (shadow: Target, ready: Ready): Promise<void> =>
  writeRows(shadow, rowsOf(ready));

// The projection's writers take a transaction; any handle runs them.
async function writeSmallRows(trx: Trx, rows: Pick<ReadyRows, 'conflicts' | 'sessions'>) {
  for (const part of chunks(rows.conflicts)) await writeConflicts(trx, part);
  for (const part of chunks(rows.sessions)) await writePlannerSessions(trx, part);
}

/**
 * Writes what the folds left: the runs not written yet and those still in flight, and every
 * part's schedule rows; then, in one transaction, the other rows not written yet and the jobs and
 * tenants (from the first part: every part of a partitioned replay folds them); then the parked
 * streams.
 */
export async function writeFinal(
  shadow: Target,
  processor: string,
  parts: readonly FinalRows[],
): Promise<void> {
  const [first] = parts;
  if (!first) return;
  for (const part of parts) {
    for (const data of [...(part.rest?.runs ?? []), ...part.open])
      await copyRuns(shadow.pool, data);
    await copySchedule(shadow.pool, part.schedule);
  }
  await shadow.db.transaction().execute(async (trx) => {
    for (const part of parts) if (part.rest) await writeSmallRows(trx, part.rest);
    for (const jobs of chunks([...first.jobs])) await writeJobs(trx, new Map(jobs));
    await writeTenantStatus(trx, first.tenants, first.changedTenants);
  });
  const streams = new ParkedStreams(shadow.db, processor);
  for (const { error, ...stream } of parkedOnce(parts)) await streams.park(stream, error);
}

/** The parts' parked streams in position order, once each (every part reads jobs and tenants). */
export function parkedOnce(parts: readonly Pick<FoldResult, 'parked'>[]): ParkedAt[] {
  const byStream = new Map(parts.flatMap((p) => p.parked).map((at) => [at.streamId, at]));
  return [...byStream.values()].sort((a, b) => a.position - b.position);
}

const chunks = <T>(items: readonly T[]): T[][] => slices(items, WRITE_CHUNK);
