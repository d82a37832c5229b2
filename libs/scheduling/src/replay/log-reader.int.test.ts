import { endpointStream, type DomainEvent } from '@orrery/domain';
import { dispatched, oneShotRefusalV1, registered, responded, T0 } from '@orrery/domain/testing';
import { createPostgresEventStore, migrateDatabase } from '@orrery/event-store';
import { useTestDatabase } from '@orrery/testkit';
import pg from 'pg';
import { beforeAll, describe, expect, it } from 'vitest';
import { schedulingMigrations } from '../migrations/index.js';
import { readLog, type LogChunk } from './log-reader.js';

const db = useTestDatabase();
const stream = endpointStream('t1', 'e1');

/** Rows as a writer that skipped the catalogue could leave them (the owner may insert anything). */
async function insert(rows: { type: string; version?: number; data: unknown }[]): Promise<void> {
  const client = new pg.Client({ connectionString: db().url });
  await client.connect();
  try {
    for (const [i, row] of rows.entries()) {
      await client.query(
        `insert into events (stream_id, stream_version, type, type_version, data, metadata,
           tenant_id, recorded_at)
         values ($1, $2, $3, $4, $5, $6, 't1', $7)`,
        [
          stream,
          i + 1,
          row.type,
          row.version ?? 1,
          JSON.stringify(row.data),
          JSON.stringify({ tenantId: 't1', actor: { kind: 'user', id: 'u1' } }),
          // Microseconds, as the database's own clock writes them: read as Date truncates them.
          `2026-01-05T07:55:00.${String(123456 + i).padStart(6, '0')}Z`,
        ],
      );
    }
  } finally {
    await client.end();
  }
}

async function readChunks(options: { verify: boolean; chunk: number }): Promise<LogChunk[]> {
  const chunks: LogChunk[] = [];
  for await (const chunk of readLog(db().url, { after: 0, through: 6, ...options })) {
    chunks.push(chunk);
  }
  return chunks;
}

const valid: DomainEvent[] = [registered('e1'), dispatched('run-a', T0)];
const negative = responded('run-a', { at: T0 + 10 });

beforeAll(async () => {
  await migrateDatabase(db().url, undefined, schedulingMigrations);
  await insert([
    ...valid.map((e) => ({ type: e.type, data: e.data })),
    // Checked when made, a duration is never negative: written here by hand.
    { type: negative.type, data: { ...negative.data, durationMs: -5 } },
    { type: 'NoSuchEvent', data: {} },
    { type: 'HintRejected', version: 9, data: {} },
    // v1, upcast when read: the upcast event is checked in full, metadata included.
    { type: 'HintRejected', version: 1, data: oneShotRefusalV1 },
  ]);
});

describe('readLog', () => {
  it('reads what the store reads, in position order, chunk by chunk', async () => {
    const store = createPostgresEventStore({ connectionString: db().url });
    try {
      const fromStore = await store.readAll({ after: 0, limit: 2 });
      const chunks = await readChunks({ verify: true, chunk: 2 });
      expect(chunks.map((c) => c.through)).toEqual([2, 4, 6]);
      expect(chunks.flatMap((c) => c.events).slice(0, 2)).toEqual(fromStore);
    } finally {
      await store.close();
    }
  });

  it('reads in position order however the rows lie on disk', async () => {
    // An update (the owner may make one, the triggers set aside) moves a row to the table's end,
    // and the chunks' queries are made to read the table in that order (new sessions take it).
    const client = new pg.Client({ connectionString: db().url });
    await client.connect();
    const name = pg.escapeIdentifier(db().name);
    try {
      await client.query(`alter database ${name} set enable_indexscan = off`);
      await client.query(`alter database ${name} set enable_bitmapscan = off`);
      await client.query('begin');
      await client.query('alter table events disable trigger events_refuse_update_delete');
      await client.query('update events set data = data where position = 1');
      await client.query('alter table events enable trigger events_refuse_update_delete');
      await client.query('commit');
      const { rows } = await client.query<{ position: string }>('select position from events');
      expect(rows.map((r) => Number(r.position))).toEqual([2, 3, 4, 5, 6, 1]);

      const ascending = (positions: number[]) => [...positions].sort((a, b) => a - b);
      for (const verify of [false, true]) {
        const chunks = await readChunks({ verify, chunk: 100 });
        const read = chunks.flatMap((c) => c.events.map((e) => e.position));
        const unreadable = chunks.flatMap((c) => c.unreadable.map((e) => e.position));
        expect(read, `verify: ${verify}`).toEqual(ascending(read));
        expect(unreadable, `verify: ${verify}`).toEqual(ascending(unreadable));
        expect(ascending([...read, ...unreadable])).toEqual([1, 2, 3, 4, 5, 6]);
      }
    } finally {
      await client.query(`alter database ${name} reset all`);
      await client.end();
    }
  });

  it('trusts the data of a known type at its version; --verify checks it; neither reads an unknown type or version', async () => {
    const trusted = await readChunks({ verify: false, chunk: 100 });
    const checked = await readChunks({ verify: true, chunk: 100 });
    const where = (chunks: LogChunk[]) => ({
      read: chunks.flatMap((c) => c.events.map((e) => e.position)),
      unreadable: chunks.flatMap((c) => c.unreadable.map((u) => u.position)),
    });

    expect(where(trusted)).toEqual({ read: [1, 2, 3, 6], unreadable: [4, 5] });
    expect(where(checked)).toEqual({ read: [1, 2, 6], unreadable: [3, 4, 5] });
    const unreadable = checked.flatMap((c) => c.unreadable);
    expect(unreadable[0]).toMatchObject({ streamId: stream, streamVersion: 3, tenantId: 't1' });
    expect(unreadable[0]?.error).toMatch(/ResponseRecorded/);
    expect(unreadable[1]?.error).toMatch(/unknown event type NoSuchEvent/);
    expect(unreadable[2]?.error).toMatch(/HintRejected v9/);
  });

  it('leaves out what no fold reads, and reads whole an event it does not take as it is', async () => {
    const events = (await readChunks({ verify: false, chunk: 100 })).flatMap((c) => c.events);
    const checked = (await readChunks({ verify: true, chunk: 100 })).flatMap((c) => c.events);
    const at = (list: typeof events, position: number) => list.find((e) => e.position === position);

    // The response: its body and headers are left out, the rest is the event's.
    const response = at(events, 3);
    const { body, headers, ...rest } = negative.data as Record<string, unknown>;
    expect([body, headers]).not.toEqual([undefined, undefined]);
    expect(response?.data).toEqual({ ...rest, durationMs: -5 });
    // An endpoint event's metadata is its tenant, one object for all of them.
    expect(response?.metadata).toEqual({ tenantId: 't1' });
    expect(at(events, 1)?.metadata).toBe(response?.metadata);
    // The v1 refusal was read again whole, and upcast as a checked read upcasts it.
    expect(at(events, 6)).toEqual(at(checked, 6));
    expect(at(events, 6)?.metadata).toEqual({ tenantId: 't1', actor: { kind: 'user', id: 'u1' } });
  });
});
