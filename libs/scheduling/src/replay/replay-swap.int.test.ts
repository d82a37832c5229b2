import { endpointDecider, endpointStream } from '@orrery/domain';
import { createPostgresEventStore, handleCommand, migrateDatabase } from '@orrery/event-store';
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
import { ProcessorLease } from '../processing/lease.js';
import { runToHead } from '../processing/processor-host.js';
import { SchedulingProjection } from '../projection/scheduling-projection.js';
import { replay, type ReplayOptions } from './replay.js';
import { driveLiveSystem } from './replay.test-support.js';
import { ReplayRefusedError } from './scope.js';

const db = useTestDatabase();
const log = pino({ level: process.env['LOG_LEVEL'] ?? 'silent' });
let target: TargetServer;
let store: ReturnType<typeof createPostgresEventStore>;
let live: SchedulingDb;
let deletedRuns = 0;

const run = (options: Partial<ReplayOptions> = {}) =>
  replay({ connectionString: db().url, store, log, ...options });
const checkpoint = async () =>
  (
    await live
      .selectFrom('processor_checkpoints')
      .select('position')
      .where('name', '=', 'scheduling')
      .executeTakeFirstOrThrow()
  ).position;
const shadows = async () =>
  (
    await sql<{ n: number }>`select count(*)::int as n from pg_namespace
    where nspname like 'replay\\_%'`.execute(live)
  ).rows[0]?.n;

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
  await sql`update schedule set reason = 'corrupted' where endpoint_id = 'e1'`.execute(live);
  deletedRuns = Number(
    (await sql`delete from runs where endpoint_id = 'e2'`.execute(live)).numAffectedRows,
  );
  await sql`update schedule set claimed_until = now() + interval '1 hour' where endpoint_id = 'e3'`.execute(
    live,
  );
  await sql`insert into parked_streams (processor, stream_id, tenant_id, stream_version, position,
      error, attempts, parked_at, retry_at)
    values ('scheduling', 'endpoint-t1.gone', 't1', 1, 1, 'old failure', 3, now(), now())`.execute(
    live,
  );
});
afterAll(async () => {
  await target.close();
  await store.close();
  await live.destroy();
});

describe('a swap', () => {
  it('is refused while the projection runs (its lease is held), before anything is replayed', async () => {
    const lease = new ProcessorLease(live, 'scheduling', 60_000, 'a running projection');
    const held = await lease.acquire();
    expect(held).not.toBeNull();
    try {
      const refused = run({ swap: true });
      await expect(refused).rejects.toBeInstanceOf(ReplayRefusedError);
      await expect(refused).rejects.toThrow(/lease is held by a running projection/);
    } finally {
      await lease.release(held?.token ?? '');
    }
    expect(await shadows()).toBe(0);
  });

  it('needs a full replay to the head', async () => {
    await expect(run({ swap: true, scope: { tenantId: 't1' } })).rejects.toThrow(/no scope/);
    await expect(run({ swap: true, to: 5 })).rejects.toThrow(/no scope, no `to`/);
  });

  it('replaces the live rows in one transaction; the projection then continues from the head', async () => {
    const head = await store.headPosition();
    const swapped = await run({ swap: true });
    expect(swapped.swap).toEqual({ swapped: true, position: head });
    expect(deletedRuns).toBeGreaterThan(0);
    expect(swapped.differences.map((d) => `${d.table} ${d.kind}`)).toEqual([
      'schedule changed',
      ...Array.from({ length: deletedRuns }, () => 'runs missing'),
    ]);
    expect(await checkpoint()).toBe(head);
    // The replay's parked streams (none) replace the old ones; a dispatcher's claim stays.
    expect(await live.selectFrom('parked_streams').selectAll().execute()).toEqual([]);
    const claim = await live
      .selectFrom('schedule')
      .select('claimed_until')
      .where('endpoint_id', '=', 'e3')
      .executeTakeFirstOrThrow();
    expect(claim.claimed_until).not.toBeNull();
    expect((await run()).differences).toEqual([]);
    expect(await shadows()).toBe(0);

    const outcome = await handleCommand(
      store,
      endpointDecider,
      endpointStream('t1', 'later'),
      {
        type: 'Register',
        endpointId: 'later',
        jobId: 'j1',
        tenantId: 't1',
        config: {
          name: 'later',
          request: { url: `${target.url}/later` },
          baseline: { kind: 'interval', everyMs: 60_000 },
        },
      },
      { now: Date.now, metadata: { tenantId: 't1', actor: { kind: 'user', id: 'u1' } } },
    );
    expect(outcome.ok).toBe(true);
    const projection = new SchedulingProjection({ db: live, store });
    expect(await runToHead(projection, { store, db: live, log })).toBeGreaterThan(head);
    expect(await checkpoint()).toBe(await store.headPosition());
    const row = await live
      .selectFrom('schedule')
      .select('stream_version')
      .where('endpoint_id', '=', 'later')
      .executeTakeFirst();
    expect(row).toEqual({ stream_version: 1 });
    expect((await run()).differences).toEqual([]);
  });
});
