import { jobStream, type RecordedEvent } from '@orrery/domain';
import { recordShop, SHOP_TO } from '@orrery/domain/testing';
import { migrateDatabase } from '@orrery/event-store';
import { useTestDatabase } from '@orrery/testkit';
import { sql } from 'kysely';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { createSchedulingDb, type SchedulingDb } from '../db.js';
import { schedulingMigrations } from '../migrations/index.js';
import type { HoldsSource } from '../projection/holds-source.js';
import { schedulingWants } from '../projection/wants.js';
import { writeBatch } from '../projection/write-batch.js';
import { finalRowsOf } from './final-rows.js';
import { MemoryFold } from './memory-fold.js';
import { copySchedule, scheduleCopyData } from './schedule-copy.js';
import { createShadow, type Shadow } from './shadow.js';

const db = useTestDatabase();
let live: SchedulingDb;
const shadows: Shadow[] = [];

beforeAll(async () => {
  await migrateDatabase(db().url, undefined, schedulingMigrations);
  live = createSchedulingDb({ connectionString: db().url, max: 2 });
});
afterEach(async () => {
  for (const shadow of shadows.splice(0)) await shadow.drop();
});
afterAll(async () => {
  await live.destroy();
});

const newShadow = async () => {
  const shadow = await createShadow(db().url, live, 'schema', new Date());
  shadows.push(shadow);
  return shadow;
};

/** A recorded stretch of a shop (cascades, hints, pauses, a planner), folded in memory. */
function foldedShop() {
  const history = recordShop().runUntil(SHOP_TO).history();
  const events: RecordedEvent[] = [...history.endpoints.values(), ...history.jobs.values()]
    .flat()
    .sort((a, b) => a.position - b.position);
  const fold = new MemoryFold(schedulingWants);
  fold.apply({ events, unreadable: [] });
  return fold.result();
}

const scheduleOf = async (shadow: Shadow) =>
  (
    await sql<
      Record<string, unknown>
    >`select * from schedule order by tenant_id, endpoint_id`.execute(shadow.db)
  ).rows;

describe("a replay's schedule rows, copied into its shadow", () => {
  it('are the rows the live projection writes for the same states', async () => {
    const result = foldedShop();
    expect(result.endpoints.size).toBeGreaterThan(3);

    // The live projection's upsert, from the same states, jobs and tenants.
    const upserted = await newShadow();
    const source: HoldsSource = {
      job: (tenantId, jobId) => result.jobs.get(jobStream(tenantId, jobId))?.state ?? null,
      tenant: (tenantId) => result.tenants.get(tenantId) ?? null,
    };
    await upserted.db
      .transaction()
      .execute((trx) =>
        writeBatch(
          trx,
          { endpoints: new Map(result.endpoints), dispatched: [], recorded: [], conflicts: [] },
          source,
        ),
      );

    const copied = await newShadow();
    await copySchedule(copied.pool, finalRowsOf(result).schedule);

    const rows = await scheduleOf(copied);
    expect(rows).toHaveLength(result.endpoints.size);
    expect(rows).toEqual(await scheduleOf(upserted));
  });

  it('refuse an endpoint written twice, and a number its column cannot hold, naming the column', async () => {
    const result = foldedShop();
    const shadow = await newShadow();
    const none: HoldsSource = { job: () => null, tenant: () => null };
    const [first] = result.endpoints.values();
    if (!first) throw new Error('the shop has endpoints');
    await copySchedule(shadow.pool, scheduleCopyData([first], none, 1));
    await expect(copySchedule(shadow.pool, scheduleCopyData([first], none, 1))).rejects.toThrow(
      /duplicate key value violates unique constraint/,
    );
    expect(await scheduleOf(shadow)).toHaveLength(1);

    const broken = { ...first, position: 1.5 };
    expect(() => scheduleCopyData([broken], none, 1)).toThrow(
      'schedule column updated_position: 1.5 is not a whole number',
    );
  });
});
