import type pg from 'pg';
import { BinaryRows, copyBinary, copyStatement } from './copy-binary.js';
import type { RunDoc } from './memory-fold.js';

/**
 * A replay writes its runs — about half as many rows as the log has events — with COPY in its
 * binary format. Measured in psql with the replay bench's 455k runs, into a keyed runs table like
 * the shadow's: 4.5–4.7 s for an `insert … select from json_to_recordset` (what the replay did
 * before), 2.4–2.8 s for a COPY of them as text, 1.7 s as binary. Binary also keeps the fold
 * thread's share small: it writes the bytes as fast as `JSON.stringify` wrote the JSON, where
 * writing numbers and instants as text took three times as long.
 */
const COLUMNS = [
  ['run_id', 'text'],
  ['endpoint_id', 'text'],
  ['tenant_id', 'text'],
  ['job_id', 'text'],
  ['scheduled_for', 'timestamptz'],
  ['dispatched_at', 'timestamptz'],
  ['attempt', 'int4'],
  ['reason', 'text'],
  ['status', 'text'],
  ['outcome', 'text'],
  ['lateness_ms', 'int4'],
  ['dispatch_position', 'int8'],
  ['test', 'bool'],
  ['started_at', 'timestamptz'],
  ['finished_at', 'timestamptz'],
  ['duration_ms', 'float8'],
  ['http_status', 'int4'],
  ['error', 'text'],
  ['response_position', 'int8'],
] as const satisfies readonly (readonly [keyof RunDoc, string])[];

const COPY_RUNS = copyStatement('runs', COLUMNS);

/** Runs as the bytes a binary COPY of them sends (see {@link COLUMNS} for the order). */
export function runsCopyData(runs: readonly RunDoc[]): Uint8Array {
  const out = new BinaryRows('run', runs.length, 320);
  for (const r of runs) {
    out.row(COLUMNS.length);
    out.text(r.run_id);
    out.text(r.endpoint_id);
    out.text(r.tenant_id);
    out.text(r.job_id);
    out.timestamptz(r.scheduled_for, 'scheduled_for');
    out.timestamptz(r.dispatched_at, 'dispatched_at');
    out.int4(r.attempt, 'attempt');
    out.text(r.reason);
    out.text(r.status);
    out.text(r.outcome);
    out.int4(r.lateness_ms, 'lateness_ms');
    out.int8(r.dispatch_position, 'dispatch_position');
    out.bool(r.test);
    out.timestamptz(r.started_at, 'started_at');
    out.timestamptz(r.finished_at, 'finished_at');
    out.float8(r.duration_ms);
    out.int4(r.http_status, 'http_status');
    out.text(r.error);
    out.int8(r.response_position, 'response_position');
  }
  return out.end();
}

/** Copies runs (bytes from {@link runsCopyData}) into the `runs` table the client's search_path finds. */
export const copyRuns = (pool: pg.Pool, data: Uint8Array): Promise<void> =>
  copyBinary(pool, COPY_RUNS, data);
