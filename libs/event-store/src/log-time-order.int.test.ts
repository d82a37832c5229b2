// Test-only edge: testkit imports this lib (embedded Postgres) for its global setup.
import { useTestDatabase } from '@orrery/testkit';
import { beforeAll, describe, expect, it } from 'vitest';
import { paused, uniqueStream } from './contract-helpers.js';
import { migrations } from './migrations/index.js';
import { migrateDatabase, runMigrations } from './migrator.js';
import { createEventStoreDb, createEventStorePool } from './postgres-connection.js';
import { createPostgresEventStore } from './postgres-event-store.js';
import { closeAfterEach, withClient } from './postgres-test-helpers.js';

// Migration 0007: the log's time follows its order, and a time bound becomes a position bound.

const ordered = useTestDatabase();
const legacy = useTestDatabase();
const closing = closeAfterEach();

/** A seeded generator (mulberry32), so a failure replays. */
function random(seed: number) {
  let a = seed >>> 0;
  return (n: number) => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return Math.floor((((t ^ (t >>> 14)) >>> 0) / 4294967296) * n);
  };
}

const T0 = Date.parse('2026-01-01T00:00:00.000Z');
const at = (ms: number) => new Date(ms).toISOString();

interface Row {
  readonly position: number;
  readonly at: number;
}

async function logRows(url: string): Promise<Row[]> {
  return withClient(url, async (client) => {
    const { rows } = await client.query<{ position: string; at: Date }>(
      'select position, recorded_at as at from events order by position',
    );
    return rows.map((row) => ({ position: Number(row.position), at: row.at.getTime() }));
  });
}

/** Both bounds at every millisecond from `first` to `last`. */
async function boundsAt(url: string, first: number, last: number) {
  return withClient(url, async (client) => {
    const { rows } = await client.query<{ t: Date; from: string; before: string }>(
      `select t, events_from_position(t) as from, events_before_position(t) as before
       from generate_series($1::timestamptz, $2::timestamptz, interval '1 millisecond') as t`,
      [at(first), at(last)],
    );
    return rows.map((row) => ({
      t: row.t.getTime(),
      from: Number(row.from),
      before: Number(row.before),
    }));
  });
}

/**
 * The bounds are exact as the events API uses them (beside its `recorded_at` condition): every
 * event recorded at or after t lies at or above `from`, every event recorded before t below
 * `before`. `tight`: nothing else lies there either (a log in time order, read as a window).
 */
function expectExact(
  rows: readonly Row[],
  bounds: Awaited<ReturnType<typeof boundsAt>>,
  tight: boolean,
) {
  for (const { t, from, before } of bounds) {
    const late = rows.filter((r) => r.at >= t).map((r) => r.position);
    const early = rows.filter((r) => r.at < t).map((r) => r.position);
    expect(
      late.filter((p) => p < from),
      `an event at or after ${at(t)} below ${from}`,
    ).toEqual([]);
    expect(
      early.filter((p) => p >= before),
      `an event before ${at(t)} at or above ${before}`,
    ).toEqual([]);
    if (tight) {
      expect(
        early.filter((p) => p >= from),
        `events before ${at(t)} above ${from}`,
      ).toEqual([]);
      expect(
        late.filter((p) => p < before),
        `events at or after ${at(t)} below ${before}`,
      ).toEqual([]);
    }
  }
}

describe('a log written in time order', () => {
  beforeAll(async () => {
    await migrateDatabase(ordered().url);
  });

  it('turns a time into the position where the log reaches it, across gaps and ties', async () => {
    const store = closing(createPostgresEventStore({ connectionString: ordered().url }));
    const next = random(7);
    let ms = T0;
    for (let i = 0; i < 120; i++) {
      ms += next(3); // 0, 1 or 2 ms later: ties are common
      await store.append(uniqueStream('s'), [paused()], { expectedVersion: 0, recordedAt: at(ms) });
      if (next(4) === 0) {
        // A rolled-back append leaves a gap in the positions.
        await withClient(ordered().url, async (client) => {
          await client.query('begin');
          await client.query(`insert into events (stream_id, stream_version, type, type_version,
            data, metadata, tenant_id) values ('gap', 1, 'Paused', 1, '{}', '{}', 't1')`);
          await client.query('rollback');
        });
      }
    }
    const rows = await logRows(ordered().url);
    expect(rows.length).toBe(120);
    expectExact(rows, await boundsAt(ordered().url, T0 - 2, ms + 2), true);
  });

  it('keeps its time from going back when the clock does', async () => {
    const store = closing(createPostgresEventStore({ connectionString: ordered().url }));
    // The last event was stamped by a clock a minute ahead of this one.
    const ahead = await withClient(ordered().url, async (client) => {
      const { rows } = await client.query<{ at: Date }>(
        `insert into events (stream_id, stream_version, type, type_version, data, metadata,
           tenant_id, recorded_at)
         values ('ahead', 1, 'Paused', 1, '{"until":null,"reason":"r"}',
           '{"tenantId":"t1","actor":{"kind":"user","id":"u"}}', 't1',
           date_trunc('milliseconds', now()) + interval '1 minute')
         returning recorded_at as at`,
      );
      return (rows[0] as { at: Date }).at.toISOString();
    });
    const stream = uniqueStream('s');
    await store.appendMany([
      { streamId: stream, events: [paused()], expectedVersion: 0 },
      { streamId: stream, events: [paused()], expectedVersion: 1 },
    ]);
    expect((await store.readStream(stream)).map((e) => e.recordedAt)).toEqual([ahead, ahead]);
  });
});

describe('a log written out of time order before the migration', () => {
  it('is found once, and its time bounds stay exact', async () => {
    const kysely = createEventStoreDb(
      createEventStorePool({ connectionString: legacy().url, max: 1 }),
    );
    try {
      const before0007 = Object.fromEntries(
        Object.entries(migrations).filter(([name]) => name < '0007'),
      );
      await runMigrations(kysely, before0007, () => {});
    } finally {
      await kysely.destroy();
    }
    // 60 events out of order (pinned imports, a clock stepping back), then 60 in order.
    const next = random(11);
    const times = [
      ...Array.from({ length: 60 }, () => T0 + next(200)),
      ...Array.from({ length: 60 }, (_, i) => T0 + 150 + 2 * i + next(2)),
    ];
    await withClient(legacy().url, async (client) => {
      for (const [i, ms] of times.entries()) {
        await client.query(
          `insert into events (stream_id, stream_version, type, type_version, data, metadata,
             tenant_id, recorded_at) values ($1, 1, 'Paused', 1, '{}', '{}', 't1', $2)`,
          [`s-${i}`, at(ms)],
        );
      }
    });
    let rows = await logRows(legacy().url);
    const lastOutOfOrder = rows.findLast((row, i) =>
      rows.slice(0, i).some((earlier) => earlier.at > row.at),
    )?.position;
    expect(lastOutOfOrder).toBeGreaterThan(0);

    await migrateDatabase(legacy().url);
    const unorderedUntil = await withClient(legacy().url, async (client) => {
      const { rows: found } = await client.query<{ until: string }>(
        'select unordered_until as until from events_time_order',
      );
      return Number(found[0]?.until);
    });
    expect(unorderedUntil).toBe(lastOutOfOrder);
    rows = await logRows(legacy().url);
    expectExact(rows, await boundsAt(legacy().url, T0 - 2, T0 + 300), false);

    // From now on, appends keep the order.
    const store = closing(createPostgresEventStore({ connectionString: legacy().url }));
    const last = Math.max(...rows.map((r) => r.at));
    await expect(
      store.append(uniqueStream('s'), [paused()], { expectedVersion: 0, recordedAt: at(last - 1) }),
    ).rejects.toThrow(/the log's time never goes back/);
  });
});
