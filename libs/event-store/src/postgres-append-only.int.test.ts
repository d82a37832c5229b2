// Test-only edge: testkit imports this lib (embedded Postgres) for its global setup.
import { useTestDatabase, waitFor } from '@orrery/testkit';
import { sql } from 'kysely';
import { beforeAll, describe, expect, it } from 'vitest';
import { follow, paused, uniqueStream } from './contract-helpers.js';
import { migrations } from './migrations/index.js';
import { migrateDatabase, runMigrations } from './migrator.js';
import { createEventStoreDb, createEventStorePool } from './postgres-connection.js';
import { createPostgresEventStore } from './postgres-event-store.js';
import { closeAfterEach, insertRaw, withClient } from './postgres-test-helpers.js';
import { UnreadableEventError } from './stored-event.js';

const db = useTestDatabase();
const closing = closeAfterEach();
let applied: readonly string[] = [];

beforeAll(async () => {
  applied = await migrateDatabase(db().url);
});

describe('migrations', () => {
  it('apply once, report what ran, and are a no-op when up to date', async () => {
    expect(applied).toEqual([
      '0001_events',
      '0002_idempotency_keys',
      '0003_service_role',
      '0004_stream_scoped_idempotency',
      '0005_tenant_notify',
      '0006_job_endpoints_index',
      '0007_log_time_order',
      '0008_rare_type_index',
      '0009_stream_estimate',
    ]);
    const lines: string[] = [];
    expect(await migrateDatabase(db().url, (line) => lines.push(line))).toEqual([]);
    expect(lines).toEqual(['schema is up to date']);
  });

  it('name the failing migration and roll back the whole run', async () => {
    const kysely = createEventStoreDb(createEventStorePool({ connectionString: db().url, max: 1 }));
    const lines: string[] = [];
    try {
      const run = runMigrations(
        kysely,
        {
          ...migrations,
          '0002_ok': {
            up: async (k) => void (await sql`create table ok_table (id int)`.execute(k)),
          },
          '0003_broken': { up: async (k) => void (await sql`select * from nope`.execute(k)) },
        },
        (line) => lines.push(line),
      );
      await expect(run).rejects.toThrow(/^migration 0003_broken failed: .*"nope" does not exist/);
      expect(lines).toEqual([
        'running 0002_ok…',
        expect.stringMatching(/^ran 0002_ok/),
        'running 0003_broken…',
      ]);
      const { rows } = await sql<{
        t: string | null;
      }>`select to_regclass('ok_table')::text as t`.execute(kysely);
      expect(rows[0]?.t).toBeNull();
    } finally {
      await kysely.destroy();
    }
  });
});

describe('indexes', () => {
  it("find a job's endpoints among the registrations alone, never the tenant's whole log", async () => {
    const plan = await withClient(db().url, async (client) => {
      await client.query('begin');
      await client.query('set local enable_seqscan = off'); // a tiny table: plan as for a big one
      const { rows } = await client.query<{ 'QUERY PLAN': string }>(
        `explain select distinct stream_id from events
         where tenant_id = 't1' and type = 'EndpointRegistered' and data->>'jobId' = 'nightly'`,
      );
      await client.query('rollback');
      return rows.map((row) => row['QUERY PLAN']).join('\n');
    });
    expect(plan).toContain('events_job_endpoints_idx');
  });

  it('find a page of a rare type after a cursor in one range of an index, and walk positions for a per-run type', async () => {
    const planOf = (type: string) =>
      withClient(db().url, async (client) => {
        await client.query('begin');
        await client.query('set local enable_seqscan = off'); // a tiny table: plan as for a big one
        // As GET /v1/events?type= sends it: the types and the cursor are bound parameters.
        const { rows } = await client.query<{ 'QUERY PLAN': string }>(
          `explain select position from events
           where tenant_id = $1 and position > $2 and type in ($3)
           order by position limit 101`,
          ['t1', 10, type],
        );
        await client.query('rollback');
        return rows.map((row) => row['QUERY PLAN']).join('\n');
      });
    const rare = await planOf('HintRejected');
    expect(rare).toContain('events_rare_type_idx');
    expect(rare).not.toContain('Sort');
    expect(await planOf('ResponseRecorded')).not.toContain('events_rare_type_idx');
  });
});

describe('the events table is append-only', () => {
  it.each([
    ['UPDATE', `update events set type = 'Resumed'`],
    ['DELETE', 'delete from events'],
    ['TRUNCATE', 'truncate events'],
  ])('refuses %s', async (operation, statement) => {
    const store = closing(createPostgresEventStore({ connectionString: db().url }));
    const stream = uniqueStream('immutable');
    await store.append(stream, [paused()], { expectedVersion: 0 });

    await withClient(db().url, async (client) => {
      await expect(client.query(statement)).rejects.toThrow(
        `events is append-only: ${operation} is not allowed`,
      );
    });
    const events = await store.readStream(stream);
    expect(events.map((e) => e.type)).toEqual(['Paused']);
  });
});

describe('unreadable rows', () => {
  it.each([
    [
      'an unknown type',
      { type: 'Exploded', data: {} },
      /\(Exploded, bad-[^)]*\) is unreadable: unknown event type/,
    ],
    [
      'invalid data',
      { type: 'Paused', data: { until: 42 } },
      /\(Paused, bad-[^)]*\) is unreadable: Paused:/,
    ],
    ['a future schema version', { type: 'Resumed', typeVersion: 9, data: {} }, /Resumed v9/],
  ])('reports %s with its position and type', async (_case, row, message) => {
    const store = closing(createPostgresEventStore({ connectionString: db().url }));
    const head = await store.headPosition();
    const streamId = uniqueStream('bad');
    const position = await withClient(db().url, (client) =>
      insertRaw(client, { streamId, version: 1, ...row }),
    );

    const read = store.readAll({ after: head });
    await expect(read).rejects.toBeInstanceOf(UnreadableEventError);
    await expect(read).rejects.toThrow(`event at position ${position}`);
    await expect(read).rejects.toThrow(message);

    const follower = follow(store, head);
    await waitFor('the subscription to fail', () =>
      follower.errors.length > 0 ? true : undefined,
    );
    // Where it sits, so a processor can set its stream aside and go on.
    expect(follower.errors[0]).toMatchObject({
      position,
      type: row.type,
      streamId,
      streamVersion: 1,
    });
    expect(follower.seen).toEqual([]);
  });
});
