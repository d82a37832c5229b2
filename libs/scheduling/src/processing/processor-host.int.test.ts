import { randomUUID } from 'node:crypto';
import { endpointStream, makeEvent, type RecordedEvent } from '@orrery/domain';
import {
  createPostgresEventStore,
  migrateDatabase,
  type PostgresEventStore,
} from '@orrery/event-store';
import { useTestDatabase, waitFor } from '@orrery/testkit';
import { sql } from 'kysely';
import pino from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createSchedulingDb, type SchedulingDb } from '../db.js';
import { schedulingMigrations } from '../migrations/index.js';
import type { Processor, ProcessorContext } from './processor.js';
import { ProcessorHost } from './processor-host.js';

const db = useTestDatabase();
const log = pino({ level: 'silent' });
let store: PostgresEventStore;
let readModels: SchedulingDb;

beforeAll(async () => {
  await migrateDatabase(db().url, undefined, schedulingMigrations);
  store = createPostgresEventStore({ connectionString: db().url, maxConnections: 4 });
  readModels = createSchedulingDb({ connectionString: db().url, max: 4 });
});
afterAll(async () => {
  await store.close();
  await readModels.destroy();
});

const meta = (tenantId: string) => ({ tenantId, actor: { kind: 'user' as const, id: 'u' } });
const paused = (tenantId: string, reason: string) =>
  makeEvent('Paused', { until: null, reason }, meta(tenantId));

/** A processor that records what it handled and fails on the streams it is told to. */
class Recorder implements Processor {
  readonly handled: RecordedEvent[] = [];
  readonly failing = new Set<string>();
  constructor(readonly name: string) {}
  async handle(events: readonly RecordedEvent[], ctx: ProcessorContext): Promise<void> {
    const bad = events.find((e) => this.failing.has(e.streamId));
    if (bad) throw new Error(`cannot handle ${bad.streamId}`);
    await readModels.transaction().execute(async (trx) => ctx.fence(trx));
    this.handled.push(...events);
  }
}

const host = (processor: Processor, overrides: { leaseTtlMs?: number } = {}) =>
  new ProcessorHost({
    processor,
    store,
    db: readModels,
    log,
    connectionString: db().url,
    standbyPollMs: 50,
    ...overrides,
  });

const parkedRows = (processor: string) =>
  readModels.selectFrom('parked_streams').selectAll().where('processor', '=', processor).execute();

describe('a processor host', () => {
  it('parks a stream whose events fail, goes on with the others, and resumes it once it can', async () => {
    const name = `recorder-${randomUUID().slice(0, 6)}`;
    const processor = new Recorder(name);
    const [bad, good] = [endpointStream('t1', `bad-${name}`), endpointStream('t2', `good-${name}`)];
    processor.failing.add(bad);
    const running = host(processor);
    await running.start();
    try {
      await store.append(bad, [paused('t1', 'first')], { expectedVersion: 0 });
      const [goodEvent] = (
        await store.append(good, [paused('t2', 'canary')], { expectedVersion: 0 })
      ).positions;
      await waitFor('the other tenant’s event handled', () =>
        processor.handled.some((e) => e.position === goodEvent) ? true : undefined,
      );
      // The stream is parked in the same round; its row may land just after the good event.
      const [row] = await waitFor('the bad stream parked', async () => {
        const rows = await parkedRows(name);
        return rows.length > 0 ? rows : undefined;
      });
      expect(row).toMatchObject({ stream_id: bad, tenant_id: 't1', stream_version: 1 });
      expect(row?.error).toMatch(/cannot handle/);
      expect(processor.handled.some((e) => e.streamId === bad)).toBe(false);

      // The cause is fixed; a new event on the stream brings it back with its skipped events.
      processor.failing.delete(bad);
      await store.append(bad, [paused('t1', 'second')], { expectedVersion: 1 });
      await waitFor('both events of the parked stream handled', () =>
        processor.handled.filter((e) => e.streamId === bad).length === 2 ? true : undefined,
      );
      expect(await parkedRows(name)).toEqual([]);
      expect(
        processor.handled.filter((e) => e.streamId === bad).map((e) => e.streamVersion),
      ).toEqual([1, 2]);
    } finally {
      await running.stop();
    }
  });

  it('parks the stream of an unreadable event and reads on past it', async () => {
    const name = `recorder-${randomUUID().slice(0, 6)}`;
    const processor = new Recorder(name);
    const broken = endpointStream('t1', `broken-${name}`);
    const after = endpointStream('t1', `after-${name}`);
    const admin = createSchedulingDb({ connectionString: db().url, max: 1 });
    try {
      await sql`insert into events (stream_id, stream_version, type, type_version, data, metadata, tenant_id)
        values (${broken}, 1, 'Exploded', 1, '{}', ${JSON.stringify(meta('t1'))}, 't1')`.execute(
        admin,
      );
    } finally {
      await admin.destroy();
    }
    const [next] = (await store.append(after, [paused('t1', 'later')], { expectedVersion: 0 }))
      .positions;
    const running = host(processor);
    await running.start();
    try {
      await waitFor('the event after the unreadable one', () =>
        processor.handled.some((e) => e.position === next) ? true : undefined,
      );
      const [row] = await parkedRows(name);
      expect(row).toMatchObject({ stream_id: broken });
      expect(row?.error).toMatch(/unknown event type Exploded/);
    } finally {
      await running.stop();
    }
  });

  it('reads only the types a processor names, and moves its checkpoint past the others', async () => {
    const name = `recorder-${randomUUID().slice(0, 6)}`;
    const processor = Object.assign(new Recorder(name), { types: ['Resumed'] as const });
    const stream = endpointStream('t1', `types-${name}`);
    const resumed = makeEvent('Resumed', { reason: 'back' }, meta('t1'));
    const { positions } = await store.append(
      stream,
      [paused('t1', 'a'), resumed, paused('t1', 'b')],
      { expectedVersion: 0 },
    );
    // An event no processor can read, of a type this one does not name: never read, never parked.
    const admin = createSchedulingDb({ connectionString: db().url, max: 1 });
    try {
      await sql`insert into events (stream_id, stream_version, type, type_version, data, metadata, tenant_id)
        values (${endpointStream('t1', `odd-${name}`)}, 1, 'Exploded', 1, '{}',
          ${JSON.stringify(meta('t1'))}, 't1')`.execute(admin);
    } finally {
      await admin.destroy();
    }
    const head = await store.headPosition();
    const running = host(processor);
    await running.start();
    try {
      const checkpoint = await waitFor('the checkpoint at the head', async () => {
        const row = await readModels
          .selectFrom('processor_checkpoints')
          .select('position')
          .where('name', '=', name)
          .executeTakeFirst();
        return Number(row?.position) >= head ? Number(row?.position) : undefined;
      });
      expect(checkpoint).toBe(head);
      expect(processor.handled.map((e) => [e.type, e.position])).toEqual([
        ['Resumed', positions[1]],
      ]);
      expect(await parkedRows(name)).toEqual([]);
    } finally {
      await running.stop();
    }
  });

  it('runs one active host at a time; a standby takes over, from the checkpoint, when it stops', async () => {
    const name = `recorder-${randomUUID().slice(0, 6)}`;
    const [first, second] = [new Recorder(name), new Recorder(name)];
    const a = host(first, { leaseTtlMs: 1_000 });
    const b = host(second, { leaseTtlMs: 1_000 });
    await a.start();
    await waitFor('a to be active', () => (a.active ? true : undefined));
    await b.start();
    try {
      const stream = endpointStream('t1', `lease-${name}`);
      const [p1] = (await store.append(stream, [paused('t1', 'one')], { expectedVersion: 0 }))
        .positions;
      await waitFor('a to handle it', () =>
        first.handled.some((e) => e.position === p1) ? true : undefined,
      );
      expect(b.active).toBe(false);
      await a.stop();
      const [p2] = (await store.append(stream, [paused('t1', 'two')], { expectedVersion: 1 }))
        .positions;
      await waitFor('b to take over and handle the next event', () =>
        second.handled.some((e) => e.position === p2) ? true : undefined,
      );
      // From the checkpoint: b never saw what a had handled.
      expect(second.handled.some((e) => e.position === p1)).toBe(false);
    } finally {
      await a.stop();
      await b.stop();
    }
  });
});
