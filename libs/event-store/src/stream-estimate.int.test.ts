/** Migration 0009: one stream's tail is read by the index, however much of the log it holds. */
// Test-only edge: testkit imports this lib (embedded Postgres) for its global setup.
import { useTestDatabase } from '@orrery/testkit';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { paused, resumed, uniqueStream } from './contract-helpers.js';
import { migrateDatabase } from './migrator.js';
import { createPostgresEventStore } from './postgres-event-store.js';

const db = useTestDatabase();
let client: pg.Client;

beforeAll(async () => {
  await migrateDatabase(db().url);
  client = new pg.Client({ connectionString: db().url });
  await client.connect();
});
afterAll(() => client.end());

/** The plan of `text` with `values`, as Postgres's EXPLAIN prints it. */
async function plan(text: string, values: unknown[]): Promise<string> {
  const { rows } = await client.query<{ 'QUERY PLAN': string }>(`explain ${text}`, values);
  return rows.map((row) => row['QUERY PLAN']).join('\n');
}

describe('the estimate of a stream (migration 0009)', () => {
  it('reads the tail of a stream that fills the log by the index, the bound unknown when planned', async () => {
    // One endpoint with a long history, one short stream beside it: the table's statistics say
    // nearly every row belongs to the long stream.
    const store = createPostgresEventStore({ connectionString: db().url });
    const long = uniqueStream('long');
    let version = 0;
    while (version < 60_000) {
      const events = Array.from({ length: 10_000 }, (_, i) => (i % 2 ? resumed() : paused()));
      const [result] = await store.appendMany([
        { streamId: long, expectedVersion: version, events },
      ]);
      version = result?.streamVersion ?? version;
    }
    await store.appendMany([
      { streamId: uniqueStream('short'), expectedVersion: 0, events: [paused()] },
    ]);
    await store.close();
    await client.query('analyze events');

    // The tail after a version the planner cannot see (a snapshot's, read by the same statement),
    // of a stream named by a value it cannot see either, as the API's head reads do.
    const tail = `select * from events
      where stream_id = (select $1::text) and stream_version > (select $2::int)
      order by stream_version`;
    const chosen = await plan(tail, [long, version - 3]);
    expect(chosen).toContain('events_stream_version_key');
    expect(chosen).not.toMatch(/Seq Scan on events/);
    // Why: the stream is estimated as a small part of the log (a third of a thousandth of it
    // here), not as the half its statistics give (a third of 30 000 rows). On a larger log that
    // estimate tipped the plan to a sequential scan of the whole log.
    const estimated = Number(/Scan[^\n]* on events[^\n]*rows=(\d+)/.exec(chosen)?.[1]);
    expect(estimated).toBeGreaterThan(0);
    expect(estimated).toBeLessThan(1_000);
    const { rows } = await client.query(tail, [long, version - 3]);
    expect(rows.map((row: { stream_version: number }) => row.stream_version)).toEqual([
      version - 2,
      version - 1,
      version,
    ]);
  });
});
