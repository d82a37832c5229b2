import { finished } from 'node:stream/promises';
import type pg from 'pg';
import { from as copyFrom } from 'pg-copy-streams';
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

const COPY_RUNS = `copy runs (${COLUMNS.map(([name]) => name).join(', ')}) from stdin with (format binary)`;

// The binary format: a signature, flags and a header extension's length; per row the number of
// fields, then each field's length in bytes (-1: null) and its bytes, big-endian; -1 to end.
const SIGNATURE = Buffer.from('PGCOPY\n\xff\r\n\0', 'latin1');
/** Postgres counts time in microseconds from 2000-01-01T00:00:00Z. */
const PG_EPOCH_MS = Date.UTC(2000, 0, 1);
const TWO_32 = 2 ** 32;

/** Writes one COPY's bytes, growing its buffer as it goes. */
class BinaryRows {
  #buffer: Buffer;
  #at = 0;

  constructor(rows: number) {
    this.#buffer = Buffer.allocUnsafeSlow(64 + rows * 320);
    this.#buffer.set(SIGNATURE, 0);
    this.#buffer.writeInt32BE(0, SIGNATURE.length); // flags
    this.#buffer.writeInt32BE(0, SIGNATURE.length + 4); // no header extension
    this.#at = SIGNATURE.length + 8;
  }

  row(fields: number): void {
    this.#room(2);
    this.#buffer.writeInt16BE(fields, this.#at);
    this.#at += 2;
  }

  text(value: string | null): void {
    if (value === null) return this.#null();
    this.#room(4 + value.length * 3); // UTF-8 takes at most 3 bytes per UTF-16 unit
    const length = this.#buffer.write(value, this.#at + 4, 'utf8');
    this.#buffer.writeInt32BE(length, this.#at);
    this.#at += 4 + length;
  }

  // Numbers as the JSON the replay wrote before would have them: NaN and ±Infinity are null.

  int4(value: number | null, column: string): void {
    if (value === null || !Number.isFinite(value)) return this.#null();
    if (!Number.isInteger(value) || value < -(2 ** 31) || value >= 2 ** 31) {
      throw new Error(`run column ${column}: ${value} is not a 32-bit integer`);
    }
    this.#room(8);
    this.#buffer.writeInt32BE(4, this.#at);
    this.#buffer.writeInt32BE(value, this.#at + 4);
    this.#at += 8;
  }

  int8(value: number | null, column: string): void {
    if (value === null || !Number.isFinite(value)) return this.#null();
    if (!Number.isSafeInteger(value)) {
      throw new Error(`run column ${column}: ${value} is not a whole number`);
    }
    this.#room(12);
    this.#buffer.writeInt32BE(8, this.#at);
    const high = Math.floor(value / TWO_32);
    this.#buffer.writeInt32BE(high, this.#at + 4);
    this.#buffer.writeUInt32BE(value - high * TWO_32, this.#at + 8);
    this.#at += 12;
  }

  float8(value: number | null): void {
    if (value === null || !Number.isFinite(value)) return this.#null();
    this.#room(12);
    this.#buffer.writeInt32BE(8, this.#at);
    this.#buffer.writeDoubleBE(value, this.#at + 4);
    this.#at += 12;
  }

  bool(value: boolean): void {
    this.#room(5);
    this.#buffer.writeInt32BE(1, this.#at);
    this.#buffer[this.#at + 4] = value ? 1 : 0;
    this.#at += 5;
  }

  /** Epoch milliseconds, to the microsecond as `to_timestamp(ms / 1000)` read them. */
  timestamptz(ms: number | null, column: string): void {
    if (ms === null || !Number.isFinite(ms)) return this.#null();
    this.int8(Math.round((ms - PG_EPOCH_MS) * 1000), column);
  }

  end(): Uint8Array {
    this.#room(2);
    this.#buffer.writeInt16BE(-1, this.#at);
    this.#at += 2;
    return this.#buffer.subarray(0, this.#at);
  }

  #null(): void {
    this.#room(4);
    this.#buffer.writeInt32BE(-1, this.#at);
    this.#at += 4;
  }

  #room(bytes: number): void {
    if (this.#at + bytes <= this.#buffer.length) return;
    const grown = Buffer.allocUnsafeSlow(Math.max(this.#buffer.length * 2, this.#at + bytes));
    this.#buffer.copy(grown, 0, 0, this.#at);
    this.#buffer = grown;
  }
}

/** Runs as the bytes a binary COPY of them sends (see {@link COLUMNS} for the order). */
export function runsCopyData(runs: readonly RunDoc[]): Uint8Array {
  const out = new BinaryRows(runs.length);
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

/**
 * Copies runs (bytes from {@link runsCopyData}) into the `runs` table the client's search_path
 * finds. A client whose COPY failed is let go with the error (the pool does not reuse it).
 */
export async function copyRuns(pool: pg.Pool, data: Uint8Array): Promise<void> {
  const client = await pool.connect();
  try {
    const stream = client.query(copyFrom(COPY_RUNS));
    stream.end(data);
    await finished(stream);
  } catch (error) {
    client.release(error instanceof Error ? error : new Error(String(error)));
    throw error;
  }
  client.release();
}
