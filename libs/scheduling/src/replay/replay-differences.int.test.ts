import { endpointStream, jobStream, plannerStream, tenantStream } from '@orrery/domain';
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
import { replay, type ReplayOptions } from './replay.js';
import { driveLiveSystem } from './replay.test-support.js';
import { ReplayRefusedError } from './scope.js';

const db = useTestDatabase();
const log = pino({ level: process.env['LOG_LEVEL'] ?? 'silent' });
let target: TargetServer;
let store: ReturnType<typeof createPostgresEventStore>;
let live: SchedulingDb;
/** The run deleted from the live read model, and where its events are in the log. */
let deleted: { run_id: string; response_position: number | null; dispatch_position: number };
let head = 0;

const run = (options: Partial<ReplayOptions> = {}) =>
  replay({ connectionString: db().url, store, log, ...options });
const keysOf = (report: Awaited<ReturnType<typeof run>>) =>
  report.differences.map((d) => `${d.table} ${d.kind} ${Object.values(d.key).join('/')}`);

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
  head = await store.headPosition();
  // Three deliberate corruptions of the live read models.
  await sql`update schedule set reason = 'corrupted',
      state = jsonb_set(state, '{config,name}', '"renamed"')
    where tenant_id = 't1' and endpoint_id = 'e2'`.execute(live);
  deleted = await live
    .deleteFrom('runs')
    .where('run_id', '=', (eb) =>
      eb
        .selectFrom('runs')
        .select('run_id')
        .where('endpoint_id', '=', 'e3')
        .where('response_position', 'is not', null)
        .orderBy('dispatch_position')
        .limit(1),
    )
    .returning(['run_id', 'response_position', 'dispatch_position'])
    .executeTakeFirstOrThrow();
  await sql`insert into conflicts select tenant_id, 999999, endpoint_id, job_id, proposal_id, kind,
      slot, source, source_id, from_endpoint_id, rule, detail, based_on_position, winner,
      cooldown_until, requested, state_met, recorded_at
    from conflicts where endpoint_id = 'e1'`.execute(live);
});
afterAll(async () => {
  await target.close();
  await store.close();
  await live.destroy();
});

describe('differences after a deliberate corruption of the live read models', () => {
  it('names exactly the rows and the fields: a changed schedule row, a missing run, an extra conflict', async () => {
    const report = await run();
    expect(report.differences).toEqual([
      {
        table: 'schedule',
        key: { tenant_id: 't1', endpoint_id: 'e2' },
        kind: 'changed',
        changes: [
          { path: 'reason', live: 'corrupted', replayed: expect.any(String) },
          { path: 'state.config.name', live: 'renamed', replayed: 'e2' },
        ],
      },
      {
        table: 'runs',
        key: { tenant_id: 't1', run_id: deleted.run_id },
        kind: 'missing',
        replayed: expect.objectContaining({ endpoint_id: 'e3', status: expect.any(String) }),
      },
      {
        table: 'conflicts',
        key: { tenant_id: 't1', position: 999999 },
        kind: 'extra',
        live: expect.objectContaining({ endpoint_id: 'e1', rule: 'invalid' }),
      },
    ]);
    expect(report.tables.map((t) => [t.table, t.differences])).toEqual([
      ['tenant_holds', 0],
      ['jobs', 0],
      ['schedule', 1],
      ['runs', 1],
      ['conflicts', 1],
      ['planner_sessions', 0],
    ]);
  });

  it('lists at most `limit` differences per table, counting them all', async () => {
    const report = await run({ limit: 0 });
    expect(report.differences).toEqual([]);
    expect(report.tables.reduce((n, t) => n + t.differences, 0)).toBe(3);
  });
});

describe('a filtered replay compares only its scope', () => {
  it('one endpoint: reads its streams alone, not the log, and compares its rows', async () => {
    const report = await run({ scope: { endpointId: 'e2' } });
    const streams = [
      endpointStream('t1', 'e2'),
      plannerStream('t1', 'e2'),
      jobStream('t1', 'j1'),
      tenantStream('t1'),
    ];
    expect(report.streams).toEqual(streams);
    const inStreams = (await Promise.all(streams.map((id) => store.readStream(id)))).flat().length;
    expect(report.events).toBe(inStreams);
    expect(report.events).toBeLessThan(head / 2);
    expect(keysOf(report)).toEqual(['schedule changed t1/e2']);
    const rows = Object.fromEntries(report.tables.map((t) => [t.table, t.live]));
    expect(rows).toMatchObject({ schedule: 1, jobs: 1, conflicts: 0, planner_sessions: 0 });
  });

  it("one job: its endpoints' rows; one tenant: its rows; an unknown id is refused", async () => {
    expect(keysOf(await run({ scope: { jobId: 'j2' } }))).toEqual([
      `runs missing t1/${deleted.run_id}`,
    ]);
    const t2 = await run({ scope: { tenantId: 't2' } });
    expect(t2.differences).toEqual([]);
    expect(t2.tables.find((t) => t.table === 'tenant_holds')).toMatchObject({
      live: 1,
      replayed: 1,
    });
    expect(t2.tables.find((t) => t.table === 'schedule')).toMatchObject({ live: 2, replayed: 2 });
    expect(await run({ scope: { tenantId: 't1' } }).then(keysOf)).toHaveLength(3);
    const unknown = run({ scope: { endpointId: 'e4', tenantId: 't1' } });
    await expect(unknown).rejects.toBeInstanceOf(ReplayRefusedError);
    await expect(unknown).rejects.toThrow('the log holds no endpoint e4 of tenant t1');
  });

  it('up to a position: leaves out the rows that later events changed, compares the others', async () => {
    const to = Number(deleted.response_position);
    const report = await run({ to });
    expect(report).toMatchObject({ through: to, notCompared: { after: to, through: head } });
    // The run ended before `to`: compared, and missing. The corrupted schedule row moved after
    // it: not compared. The extra conflict's position is in no event: always compared.
    expect(keysOf(report)).toEqual([
      `runs missing t1/${deleted.run_id}`,
      'conflicts extra t1/999999',
    ]);
  });

  it('up to a time: the log before the first event recorded after it', async () => {
    // Microseconds, as recorded (a Date keeps milliseconds).
    const { rows } = await sql<{ position: number; us: string }>`
      select position, (extract(epoch from recorded_at) * 1000000)::bigint::text as us
      from events order by position`.execute(live);
    const middle = rows[Math.floor(rows.length / 2)];
    const at = Math.floor(Number(middle?.us) / 1000) + 1; // a millisecond after it
    const report = await run({ to: new Date(at) });
    const after = rows.find((r) => Number(r.us) > at * 1000);
    expect(report.through).toBe((after?.position ?? head + 1) - 1);
    expect(report.through).toBeGreaterThanOrEqual(middle?.position ?? Infinity);
  });
});
