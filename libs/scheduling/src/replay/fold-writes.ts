import { jobStream } from '@orrery/domain';
import { sql, type Kysely, type Transaction } from 'kysely';
import type { FoldedBatch, FoldedEndpoint } from '../projection/fold-batch.js';
import type { FoldedJob } from '../projection/fold-jobs.js';
import type { HoldsSource, TenantStatus } from '../projection/holds-source.js';
import { writeConflicts, writePlannerSessions } from '../projection/planner-reads.js';
import { writeTenantStatus } from '../projection/tenant-holds.js';
import { writeBatch } from '../projection/write-batch.js';
import { writeJobs } from '../projection/write-jobs.js';
import { ParkedStreams } from '../processing/parked.js';
import type { SchedulingSchema } from '../read-model/schema.js';
import type { ParkedAt, RunDoc } from './memory-fold.js';
import { rowsOf, slices, type Ready, type ReadyRows } from './ready-rows.js';

export type { Ready, ReadyRows };

type Db = Kysely<SchedulingSchema>;
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

/** Writes ready rows (into an empty shadow: every row is new). */
export async function writeRows(db: Db | Trx, rows: ReadyRows): Promise<void> {
  for (const json of rows.runs) await insertRuns(db, json);
  const trx = db as Trx; // the projection's writers take a transaction; any handle runs them
  for (const part of chunks(rows.conflicts)) await writeConflicts(trx, part);
  for (const part of chunks(rows.sessions)) await writePlannerSessions(trx, part);
}

export const writeReady = (db: Db | Trx, ready: Ready): Promise<void> =>
  writeRows(db, rowsOf(ready));

/**
 * Writes what the folds left, in one transaction: their rows not written yet, the runs still in
 * flight, the jobs and tenants (from the first part: every part of a partitioned replay folds
 * them), the schedule from every part's endpoints; then the parked streams.
 */
export async function writeFinal(
  db: Db,
  processor: string,
  parts: readonly FoldResult[],
): Promise<void> {
  const [first] = parts;
  if (!first) return;
  await db.transaction().execute(async (trx) => {
    for (const part of parts) if (part.rest) await writeReady(trx, part.rest);
    await writeRows(
      trx,
      rowsOf({ runs: parts.flatMap((p) => p.open), conflicts: [], sessions: [] }),
    );
    for (const part of chunks([...first.jobs])) await writeJobs(trx, new Map(part));
    await writeTenantStatus(trx, first.tenants, first.changedTenants);
    const source: HoldsSource = {
      job: (tenantId, jobId) => first.jobs.get(jobStream(tenantId, jobId))?.state ?? null,
      tenant: (tenantId) => first.tenants.get(tenantId) ?? null,
    };
    for (const part of chunks(parts.flatMap((p) => [...p.endpoints]))) {
      const batch: FoldedBatch = {
        endpoints: new Map(part),
        dispatched: [],
        recorded: [],
        conflicts: [],
      };
      await writeBatch(trx, batch, source);
    }
  });
  const streams = new ParkedStreams(db, processor);
  for (const { error, ...stream } of parkedOnce(parts)) await streams.park(stream, error);
}

/** The parts' parked streams in position order, once each (every part reads jobs and tenants). */
export function parkedOnce(parts: readonly FoldResult[]): ParkedAt[] {
  const byStream = new Map(parts.flatMap((p) => p.parked).map((at) => [at.streamId, at]));
  return [...byStream.values()].sort((a, b) => a.position - b.position);
}

// `json_to_recordset` reads the text as it goes (no jsonb built first). Instants are epoch
// milliseconds, turned into timestamps by Postgres (on its own core).
async function insertRuns(db: Db | Trx, json: string): Promise<void> {
  await sql`
    insert into runs (run_id, endpoint_id, tenant_id, job_id, scheduled_for, dispatched_at,
      attempt, reason, status, outcome, lateness_ms, dispatch_position, test, started_at,
      finished_at, duration_ms, http_status, error, response_position)
    select run_id, endpoint_id, tenant_id, job_id, to_timestamp(scheduled_for / 1000),
      to_timestamp(dispatched_at / 1000), attempt, reason, status, outcome, lateness_ms,
      dispatch_position, test, to_timestamp(started_at / 1000),
      to_timestamp(finished_at / 1000), duration_ms, http_status, error, response_position
    from json_to_recordset(${json}::json) as r(run_id text, endpoint_id text,
      tenant_id text, job_id text, scheduled_for double precision,
      dispatched_at double precision, attempt int, reason text, status text, outcome text,
      lateness_ms int, dispatch_position bigint, test boolean, started_at double precision,
      finished_at double precision, duration_ms double precision, http_status int,
      error text, response_position bigint)`.execute(db);
}

const chunks = <T>(items: readonly T[]): T[][] => slices(items, WRITE_CHUNK);
