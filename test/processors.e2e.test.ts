import { endpointStream, makeEvent, type AppendRequest, type EventStore } from '@orrery/domain';
import { createPostgresEventStore, migrateDatabase } from '@orrery/event-store';
import { createSchedulingDb, schedulingMigrations, type SchedulingDb } from '@orrery/scheduling';
import { redisUrl, uniquePrefix, useTestDatabase, waitFor } from '@orrery/testkit';
import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { projectionDrift } from './support/pipeline-checks.js';
import { ServiceGroup, type ServiceProcess } from './support/service-process.js';

// Any number of processes may host a processor; one holds its lease and runs it. When that one
// dies mid-batch, another takes over from the checkpoint, and no event's effect is appended
// twice (its appends carry idempotency keys derived from the event they handle).

const db = useTestDatabase();
const ENDPOINTS = 1_500; // two hints each: 3,000 expiries, a batch long enough to die in
const meta = { tenantId: 't1', actor: { kind: 'user' as const, id: 'e2e' } };

/** Trigger-only endpoints, each with an interval and a one-shot hint that lapse at `expiresAt`. */
function hinted(expiresAt: number): AppendRequest[] {
  const at = new Date(expiresAt).toISOString();
  return Array.from({ length: ENDPOINTS }, (_, i) => {
    const id = `h${i}`;
    return {
      streamId: endpointStream('t1', id),
      expectedVersion: 0,
      events: [
        makeEvent(
          'EndpointRegistered',
          {
            endpointId: id,
            jobId: 'j1',
            tenantId: 't1',
            registeredAt: new Date().toISOString(),
            config: {
              name: id,
              request: { url: 'http://127.0.0.1:9/' },
              baseline: { kind: 'none' },
            },
          },
          meta,
        ),
        makeEvent(
          'HintProposed',
          {
            slot: 'interval',
            intervalMs: 3_600_000,
            hintId: `${id}-i`,
            source: 'user',
            sourceId: 'u',
            reason: '',
            expiresAt: at,
          },
          meta,
        ),
        makeEvent(
          'HintProposed',
          {
            slot: 'oneShot',
            // Due a second before it lapses; no dispatcher runs here, so it lapses unrun.
            runAt: new Date(expiresAt - 1_000).toISOString(),
            hintId: `${id}-o`,
            source: 'user',
            sourceId: 'u',
            reason: '',
            expiresAt: at,
          },
          meta,
        ),
      ],
    };
  });
}

describe('processors across processes', () => {
  const services = new ServiceGroup();
  let store: EventStore | undefined;
  let readModels: SchedulingDb | undefined;

  beforeAll(async () => {
    await migrateDatabase(db().url, undefined, schedulingMigrations);
    store = createPostgresEventStore({ connectionString: db().url, maxConnections: 2 });
    readModels = createSchedulingDb({ connectionString: db().url, max: 2 });
  });
  afterAll(async () => {
    await services.stopAll(5_000);
    await store?.close();
    await readModels?.destroy();
  });

  it('one host is active per processor; killed mid-batch, another resumes from the checkpoint, nothing twice', async ({
    onTestFailed,
  }) => {
    onTestFailed(() => console.error(services.report()));
    if (!store || !readModels) throw new Error('beforeAll did not finish');
    const sdb = readModels;
    const env = {
      DATABASE_URL: db().url,
      REDIS_URL: redisUrl(),
      QUEUE_PREFIX: uniquePrefix('processors-e2e'),
      LOG_LEVEL: 'info',
      MIGRATE: 'false',
    };
    const hosts: ServiceProcess[] = ['a', 'b'].map((n) =>
      services.start({ service: 'projection', label: `host-${n}`, env, readyTimeoutMs: 120_000 }),
    );
    await Promise.all(hosts.map((h) => h.ready));
    const leases = async () =>
      (
        await sql<{ name: string; owner: string | null; active: boolean; position: string }>`
          select name, owner, lease_until > now() as active, position from processor_checkpoints`.execute(
          sdb,
        )
      ).rows;
    const ownerOf = async (name: string) => {
      const row = (await leases()).find((l) => l.name === name && l.active);
      return row ? hosts.find((h) => row.owner?.startsWith(`${h.pid}-`)) : undefined;
    };
    await waitFor(
      'both processors running',
      async () =>
        (await ownerOf('scheduling')) && (await ownerOf('hint-expiry')) ? true : undefined,
      { timeoutMs: 60_000 },
    );

    const expiresAt = Date.now() + 8_000;
    await store.appendMany(hinted(expiresAt));
    const total = ENDPOINTS * 2;
    const expired = async () =>
      Number(
        (
          await sql<{
            n: string;
          }>`select count(*) as n from events where type = 'HintExpired'`.execute(sdb)
        ).rows[0]?.n ?? 0,
      );
    await waitFor(
      'the expiries to start',
      async () => ((await expired()) >= 50 ? true : undefined),
      {
        timeoutMs: 120_000,
        intervalMs: 10,
      },
    );
    const victim = await ownerOf('hint-expiry');
    if (!victim) throw new Error('no active hint-expiry host');
    victim.kill('SIGKILL');
    const atKill = await expired();
    expect((await victim.stopped).signal).toBe('SIGKILL');
    // Mid-batch: the dead host had expired some of the hints, not all.
    expect(atKill).toBeLessThan(total);

    const survivor = hosts.find((h) => h !== victim);
    await waitFor(
      'every hint expired',
      async () => ((await expired()) >= total ? true : undefined),
      {
        timeoutMs: 120_000,
        intervalMs: 200,
      },
    );
    expect(await ownerOf('hint-expiry')).toBe(survivor);

    // Each hint exactly once, though the survivor handled again what the dead host had begun.
    const { rows: perHint } = await sql<{ hint: string; n: string }>`
      select data->>'hintId' as hint, count(*) as n from events where type = 'HintExpired'
      group by 1`.execute(sdb);
    expect(perHint).toHaveLength(total);
    expect(perHint.filter((r) => Number(r.n) !== 1)).toEqual([]);

    // The projection moved on too (whichever host runs it), and equals a fresh fold.
    const head = await store.headPosition();
    await waitFor(
      'the projection to reach the head',
      async () => {
        const row = (await leases()).find((l) => l.name === 'scheduling');
        return Number(row?.position ?? 0) >= head ? true : undefined;
      },
      { timeoutMs: 60_000 },
    );
    const ids = Array.from({ length: ENDPOINTS }, (_, i) => `h${i}`);
    expect(await projectionDrift(sdb, store, ids)).toEqual([]);
    const parked = await sdb.selectFrom('parked_streams').selectAll().execute();
    expect(parked).toEqual([]);
    const lag = Date.now() - expiresAt;
    console.log(
      `processors e2e: ${total} hints; host killed after ${atKill} expiries; all expired once, ${lag} ms after their TTL`,
    );
  });
});
