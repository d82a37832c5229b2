import type pg from 'pg';
import type { FoldedEndpoint } from '../projection/fold-batch.js';
import type { HoldsSource } from '../projection/holds-source.js';
import { scheduleRowOf, type ScheduleRow } from '../projection/schedule-row.js';
import { BinaryRows, copyBinary, copyStatement } from './copy-binary.js';

const COLUMNS = [
  ['endpoint_id', 'text'],
  ['tenant_id', 'text'],
  ['job_id', 'text'],
  ['stream_version', 'int4'],
  ['status', 'text'],
  ['next_run_at', 'timestamptz'],
  ['slot_at', 'timestamptz'],
  ['reason', 'text'],
  ['state', 'jsonb'],
  ['state_version', 'int4'],
  ['in_flight_run_id', 'text'],
  ['hint_expires_at', 'timestamptz'],
  ['updated_position', 'int8'],
  ['holds', 'jsonb'],
  ['job_version', 'int4'],
  ['as_of', 'timestamptz'],
] as const satisfies readonly (readonly [keyof ScheduleRow, string])[];

const COPY_SCHEDULE = copyStatement('schedule', COLUMNS);

/**
 * A replay's schedule rows — one per endpoint, from its final state — as the bytes a binary COPY
 * of them sends: the rows the live projection's upsert writes (`scheduleRowOf`, the same
 * function), made where the fold ran. A replay writes them once, into an empty table, so it needs
 * no upsert.
 *
 * Measured on the replay bench's log (10 000 endpoints, 1.2 KB of state each), as the replay's
 * last step: the projection's upsert of them (five statements of 2 000 rows, each one JSON
 * document) took 0.8–1.2 s after the folds ended, most of it Postgres parsing the documents; a
 * COPY of the same rows as text from psql took 0.24–0.35 s.
 */
export function scheduleCopyData(
  endpoints: Iterable<FoldedEndpoint>,
  source: HoldsSource,
  count: number,
): Uint8Array {
  const out = new BinaryRows('schedule', count, 1_600);
  for (const endpoint of endpoints) {
    const row = scheduleRowOf(endpoint, source);
    if (!row) continue;
    out.row(COLUMNS.length);
    out.text(row.endpoint_id);
    out.text(row.tenant_id);
    out.text(row.job_id);
    out.int4(row.stream_version, 'stream_version');
    out.text(row.status);
    out.timestamptz(row.next_run_at, 'next_run_at');
    out.timestamptz(row.slot_at, 'slot_at');
    out.text(row.reason);
    out.jsonb(row.state);
    out.int4(row.state_version, 'state_version');
    out.text(row.in_flight_run_id);
    out.timestamptz(row.hint_expires_at, 'hint_expires_at');
    out.int8(row.updated_position, 'updated_position');
    out.jsonb(row.holds);
    out.int4(row.job_version, 'job_version');
    out.timestamptz(row.as_of, 'as_of');
  }
  return out.end();
}

/** Copies schedule rows (bytes from {@link scheduleCopyData}) into the search_path's `schedule`. */
export const copySchedule = (pool: pg.Pool, data: Uint8Array): Promise<void> =>
  copyBinary(pool, COPY_SCHEDULE, data);
