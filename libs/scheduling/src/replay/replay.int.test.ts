import { createPostgresEventStore, migrateDatabase } from '@orrery/event-store';
import {
  serviceRoleUrl,
  startTargetServer,
  useTestDatabase,
  type TargetServer,
} from '@orrery/testkit';
import { sql } from 'kysely';
import pino from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createSchedulingDb, type SchedulingDb } from '../db.js';
import { schedulingMigrations } from '../migrations/index.js';
import { runToHead } from '../processing/processor-host.js';
import { SchedulingProjection } from '../projection/scheduling-projection.js';
import { replay, type ReplayOptions } from './replay.js';
import { driveLiveSystem } from './replay.test-support.js';
import { replayedTables } from './tables.js';

const db = useTestDatabase();
const log = pino({ level: process.env['LOG_LEVEL'] ?? 'silent' });
let target: TargetServer;
let store: ReturnType<typeof createPostgresEventStore>;
let live: SchedulingDb;

const shadows = async () =>
  (
    await sql<{ name: string }>`select nspname as name from pg_namespace
      where nspname like 'replay\\_%'`.execute(live)
  ).rows.map((r) => r.name);
const run = (options: Partial<ReplayOptions> = {}) =>
  replay({ connectionString: db().url, store, log, ...options });

beforeAll(async () => {
  await migrateDatabase(db().url, undefined, schedulingMigrations);
  target = await startTargetServer();
  store = createPostgresEventStore({ connectionString: db().url, maxConnections: 4 });
  live = createSchedulingDb({ connectionString: db().url, max: 2 });
  await driveLiveSystem({
    serviceUrl: await serviceRoleUrl(db()),
    store,
    db: live,
    targetUrl: target.url,
    log,
  });
});
afterAll(async () => {
  await target.close();
  await store.close();
  await live.destroy();
});

describe('a replay of a live system', () => {
  it('finds no differences, table by table, and drops its shadow schema', async () => {
    const report = await run();
    expect(report.differences).toEqual([]);
    expect(report.through).toBe(await store.headPosition());
    expect(report.livePosition).toBe(report.through);
    expect(report.notCompared).toBeNull();
    expect(report.shadow).toMatch(/^replay_\d{8}t\d{6}_[0-9a-f]{6}$/);
    expect(report.tables.map((t) => t.table)).toEqual(replayedTables);
    for (const table of report.tables) {
      expect(table, table.table).toMatchObject({ differences: 0, replayed: table.live });
      expect(table.live, table.table).toBeGreaterThan(0);
    }
    expect(report.parked).toEqual([]);
    expect(await shadows()).toEqual([]);
  });

  it('equals the projection however its batches fell: one event per batch, then one batch', async () => {
    // Job and tenant events recompute endpoints the batch does not touch: their rows must not
    // depend on which other events shared the batch.
    await live.transaction().execute(async (trx) => {
      for (const table of replayedTables) await trx.deleteFrom(table).execute();
      await trx.deleteFrom('processor_checkpoints').where('name', '=', 'scheduling').execute();
    });
    await runToHead(new SchedulingProjection({ db: live, store }), {
      store,
      db: live,
      log,
      batchSize: 1,
    });
    const report = await run({ batchSize: 5000 });
    expect(report.differences).toEqual([]);
    expect(report.livePosition).toBe(report.through);
  });

  it('folds a HintRejected stored at version 1 as version 2 (its kind from its slot)', async () => {
    const conflict = await live
      .selectFrom('conflicts')
      .select(['kind', 'slot', 'rule'])
      .where('endpoint_id', '=', 'quiet')
      .executeTakeFirstOrThrow();
    expect(conflict).toEqual({ kind: 'interval', slot: 'interval', rule: 'outranked' });
  });

  it('writes into the shadow alone (its search_path), and drops it when it fails midway', async () => {
    const counts: { shadow: number; live: number; position: number; through: number }[] = [];
    const liveRows = async () =>
      Number(
        (
          await live
            .selectFrom('runs')
            .select((eb) => eb.fn.countAll().as('n'))
            .executeTakeFirstOrThrow()
        ).n,
      );
    const before = await liveRows();
    const failing = run({
      batchSize: 2, // a write per few events: the second waits for the first
      onProgress: async ({ position, through }) => {
        const [schema] = await shadows();
        const { rows } = await sql<{ n: number }>`
          select count(*)::int as n from ${sql.id(schema ?? '?', 'runs')}`.execute(live);
        counts.push({ shadow: rows[0]?.n ?? 0, live: await liveRows(), position, through });
        // Rows are written while the fold goes on: stop once some are in the shadow.
        if ((rows[0]?.n ?? 0) > 0) throw new Error('stopped midway');
      },
    });
    await expect(failing).rejects.toThrow('stopped midway');
    expect(counts.at(-1)?.shadow).toBeGreaterThan(0);
    expect(counts.at(-1)?.position).toBeLessThan(counts.at(-1)?.through ?? 0);
    expect(counts.every((c) => c.live === before)).toBe(true);
    expect(await shadows()).toEqual([]);
  });

  it("folds the same rows on the caller's thread, in one worker thread, or split across three", async () => {
    const reports = [];
    for (const workers of [0, 1, 3]) {
      const progress: number[] = [];
      // Small chunks: the threads' rows reach the writer interleaved.
      const report = await run({
        workers,
        batchSize: 5,
        onProgress: (p) => void progress.push(p.read),
      });
      expect(report.differences, `${workers} workers`).toEqual([]);
      expect(
        report.tables.every((t) => t.replayed === t.live),
        `${workers} workers`,
      ).toBe(true);
      expect(progress.length, `${workers} workers`).toBeGreaterThan(1);
      expect(progress.at(-1), `${workers} workers`).toBeLessThanOrEqual(report.events);
      reports.push(report);
    }
    // Every event counted once, however the log was split (jobs and tenants are read by every part).
    expect(new Set(reports.map((r) => r.events)).size).toBe(1);
  });

  it("writes into an unlogged shadow with its tables' keys and none of the indexes that enforce nothing", async () => {
    let indexes: { table: string; unique: boolean }[] = [];
    let persistence: string[] = [];
    await run({
      batchSize: 5,
      onProgress: async () => {
        if (indexes.length > 0) return;
        const [schema] = await shadows();
        const { rows } = await sql<{ table: string; unique: boolean }>`
          select t.relname as table, i.indisunique as unique from pg_index i
          join pg_class t on t.oid = i.indrelid
          where t.relnamespace = ${schema ?? '?'}::regnamespace`.execute(live);
        indexes = rows;
        const tables = await sql<{ persistence: string }>`
          select distinct relpersistence as persistence from pg_class
          where relnamespace = ${schema ?? '?'}::regnamespace and relkind = 'r'`.execute(live);
        persistence = tables.rows.map((r) => r.persistence);
      },
    });
    expect(indexes.map((i) => i.table)).toEqual(expect.arrayContaining(['runs', 'schedule']));
    expect(indexes.filter((i) => !i.unique)).toEqual([]);
    // No WAL for rows a crash would throw away anyway; a swap copies them into logged tables.
    expect(persistence).toEqual(['u']);
  });

  it("as the services' role, replays into temporary tables (it may not create a schema)", async () => {
    const serviceUrl = await serviceRoleUrl(db());
    await expect(run({ connectionString: serviceUrl })).rejects.toThrow(/permission denied/);
    const report = await run({ connectionString: serviceUrl, shadow: 'temporary' });
    expect(report.shadow).toBe('pg_temp');
    expect(report.differences).toEqual([]);
    expect(report.tables.find((t) => t.table === 'schedule')?.replayed).toBeGreaterThan(0);
  });
});

describe('a stream the replay cannot read', () => {
  it("is parked at that event, and the other streams replayed, in worker threads as on the caller's", async () => {
    const { rows } = await sql<{ stream: string; version: number; tenant: string }>`
      select stream_id as stream, max(stream_version)::int as version, min(tenant_id) as tenant
      from events where stream_id like 'endpoint-%' group by stream_id order by stream_id limit 1`.execute(
      live,
    );
    const [last] = rows;
    if (!last) throw new Error('the live system wrote no endpoint stream');
    // A version of RunDispatched no catalogue knows: unreadable, as a future writer's would be.
    await sql`insert into events (stream_id, stream_version, type, type_version, data, metadata, tenant_id)
      values (${last.stream}, ${last.version + 1}, 'RunDispatched', 99, '{}', ${JSON.stringify({ tenantId: last.tenant })}, ${last.tenant})`.execute(
      live,
    );
    const head = await store.headPosition();
    for (const workers of [0, 2]) {
      const report = await run({ workers });
      expect(report.parked, `${workers} workers`).toEqual([
        { streamId: last.stream, position: head, error: expect.stringContaining('RunDispatched') },
      ]);
      const others = report.tables.find((t) => t.table === 'runs');
      expect(others?.replayed, `${workers} workers`).toBeGreaterThan(0);
    }
  });
});
