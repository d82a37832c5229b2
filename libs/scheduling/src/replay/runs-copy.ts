import { finished } from 'node:stream/promises';
import { toIso } from '@orrery/domain';
import type pg from 'pg';
import { from as copyFrom } from 'pg-copy-streams';
import type { RunDoc } from './memory-fold.js';

/**
 * A replay writes its runs — about half as many rows as the log has events — with COPY, in its
 * text format, into a table without its primary key (see `createShadow`): measured on the replay
 * bench's 455k runs, Postgres spends 1.0 s on them, where an `insert … select from
 * json_to_recordset` into the keyed table took 4.6 s (the key, built afterwards, 0.4 s).
 */
const COLUMNS = [
  'run_id',
  'endpoint_id',
  'tenant_id',
  'job_id',
  'scheduled_for',
  'dispatched_at',
  'attempt',
  'reason',
  'status',
  'outcome',
  'lateness_ms',
  'dispatch_position',
  'test',
  'started_at',
  'finished_at',
  'duration_ms',
  'http_status',
  'error',
  'response_position',
] as const satisfies readonly (keyof RunDoc)[];

const COPY_RUNS = `copy runs (${COLUMNS.join(', ')}) from stdin`;

// COPY's text format: columns split by tabs, rows ended by newlines, null spelled \N; a
// backslash, tab, newline or carriage return inside a value is written as its escape.
const NULL = '\\N';
const SPECIAL = /[\\\t\n\r]/;
const SPECIALS = /[\\\t\n\r]/g;
const ESCAPES: Record<string, string> = { '\\': '\\\\', '\t': '\\t', '\n': '\\n', '\r': '\\r' };
const escape = (value: string) =>
  SPECIAL.test(value) ? value.replace(SPECIALS, (c) => ESCAPES[c] ?? c) : value;
const text = (value: string | null) => (value === null ? NULL : escape(value));
// As JSON.stringify would have it (the replay wrote JSON before): no NaN or Infinity, but null.
const num = (value: number | null) =>
  value === null || !Number.isFinite(value) ? NULL : String(value);
/** Epoch milliseconds, written as an instant Postgres reads exactly (to the millisecond). */
const instant = (ms: number | null) => (ms === null ? NULL : toIso(ms));

/** Runs as the text a COPY of them sends, one line each. */
export function runsCopyText(runs: readonly RunDoc[]): string {
  const lines = new Array<string>(runs.length);
  for (let i = 0; i < runs.length; i++) {
    const r = runs[i]!;
    lines[i] =
      `${escape(r.run_id)}\t${escape(r.endpoint_id)}\t${escape(r.tenant_id)}\t${escape(r.job_id)}\t` +
      `${instant(r.scheduled_for)}\t${instant(r.dispatched_at)}\t${num(r.attempt)}\t` +
      `${escape(r.reason)}\t${escape(r.status)}\t${escape(r.outcome)}\t${num(r.lateness_ms)}\t` +
      `${num(r.dispatch_position)}\t${r.test ? 't' : 'f'}\t${instant(r.started_at)}\t` +
      `${instant(r.finished_at)}\t${num(r.duration_ms)}\t${num(r.http_status)}\t` +
      `${text(r.error)}\t${num(r.response_position)}\n`;
  }
  return lines.join('');
}

/**
 * Copies runs (text from {@link runsCopyText}) into the `runs` table the client's search_path
 * finds. A client whose COPY failed is let go with the error (the pool does not reuse it).
 */
export async function copyRuns(pool: pg.Pool, text: string): Promise<void> {
  if (text.length === 0) return;
  const client = await pool.connect();
  try {
    const stream = client.query(copyFrom(COPY_RUNS));
    stream.end(text);
    await finished(stream);
  } catch (error) {
    client.release(error instanceof Error ? error : new Error(String(error)));
    throw error;
  }
  client.release();
}
