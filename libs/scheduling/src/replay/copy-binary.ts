import { finished } from 'node:stream/promises';
import type pg from 'pg';
import { from as copyFrom } from 'pg-copy-streams';

/**
 * The statement of a binary COPY into `table` of `columns`, in the order each row writes them.
 */
export const copyStatement = (table: string, columns: readonly (readonly [string, string])[]) =>
  `copy ${table} (${columns.map(([name]) => name).join(', ')}) from stdin with (format binary)`;

// The binary format: a signature, flags and a header extension's length; per row the number of
// fields, then each field's length in bytes (-1: null) and its bytes, big-endian; -1 to end.
const SIGNATURE = Buffer.from('PGCOPY\n\xff\r\n\0', 'latin1');
/** Postgres counts time in microseconds from 2000-01-01T00:00:00Z. */
const PG_EPOCH_MS = Date.UTC(2000, 0, 1);
const TWO_32 = 2 ** 32;

/**
 * Writes one binary COPY's bytes, growing its buffer as it goes. A number a column cannot hold
 * throws, naming the table's row and the column, before anything is sent.
 */
export class BinaryRows {
  readonly #row: string;
  #buffer: Buffer;
  #at = 0;

  /** `row`: what a row is called in errors (`run`); `bytesPerRow`: the room made at first. */
  constructor(row: string, rows: number, bytesPerRow: number) {
    this.#row = row;
    this.#buffer = Buffer.allocUnsafeSlow(64 + rows * bytesPerRow);
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
      throw new Error(`${this.#row} column ${column}: ${value} is not a 32-bit integer`);
    }
    this.#room(8);
    this.#buffer.writeInt32BE(4, this.#at);
    this.#buffer.writeInt32BE(value, this.#at + 4);
    this.#at += 8;
  }

  int8(value: number | null, column: string): void {
    if (value === null || !Number.isFinite(value)) return this.#null();
    if (!Number.isSafeInteger(value)) {
      throw new Error(`${this.#row} column ${column}: ${value} is not a whole number`);
    }
    this.#room(12);
    this.#buffer.writeInt32BE(8, this.#at);
    const high = Math.floor(value / TWO_32);
    this.#buffer.writeInt32BE(high, this.#at + 4);
    this.#buffer.writeUInt32BE(value - high * TWO_32, this.#at + 8);
    this.#at += 12;
  }

  /** jsonb's binary form: its version (1), then the JSON text. */
  jsonb(value: unknown): void {
    const json = JSON.stringify(value);
    this.#room(5 + json.length * 3);
    const length = this.#buffer.write(json, this.#at + 5, 'utf8');
    this.#buffer.writeInt32BE(length + 1, this.#at);
    this.#buffer[this.#at + 4] = 1;
    this.#at += 5 + length;
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

/**
 * Sends a binary COPY's bytes (`statement`: `copy … from stdin with (format binary)`) on a client
 * of the pool. A client whose COPY failed is let go with the error (the pool does not reuse it).
 */
export async function copyBinary(
  pool: pg.Pool,
  statement: string,
  data: Uint8Array,
): Promise<void> {
  const client = await pool.connect();
  try {
    const stream = client.query(copyFrom(statement));
    stream.end(data);
    await finished(stream);
  } catch (error) {
    client.release(error instanceof Error ? error : new Error(String(error)));
    throw error;
  }
  client.release();
}
