import { migrateDatabase } from '@orrery/event-store';
import { useTestDatabase } from '@orrery/testkit';
import { sql } from 'kysely';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { createSchedulingDb, type SchedulingDb } from '../db.js';
import { schedulingMigrations } from '../migrations/index.js';
import { claimDue, claimStatement, walkDueIndexInOrder } from './claim.js';

const db = useTestDatabase();
let readModels: SchedulingDb;
const NOW = Date.parse('2026-06-01T12:00:00.000Z');
const SECOND = 1_000;

/** A schedule row due at `dueAt` (null: not scheduled), claimed until `claimedUntil`. */
const row = (
  endpointId: string,
  dueAt: number | null,
  options: { claimedUntil?: number; status?: 'active' | 'archived' } = {},
) => ({
  endpoint_id: endpointId,
  tenant_id: 't1',
  job_id: 'j1',
  stream_version: 1,
  status: options.status ?? 'active',
  next_run_at: dueAt === null ? null : new Date(dueAt),
  slot_at: dueAt === null ? null : new Date(dueAt),
  reason: 'baseline',
  state: JSON.stringify({ endpointId }),
  state_version: 1,
  claimed_until: options.claimedUntil === undefined ? null : new Date(options.claimedUntil),
  in_flight_run_id: null,
  hint_expires_at: null,
  updated_position: 1,
  holds: JSON.stringify({}),
  job_version: 0,
  as_of: new Date(NOW),
});

const ids = (claimed: readonly { endpointId: string }[]) => claimed.map((c) => c.endpointId);

beforeAll(async () => {
  await migrateDatabase(db().url, undefined, schedulingMigrations);
  readModels = createSchedulingDb({ connectionString: db().url, max: 4 });
});

afterAll(async () => {
  await readModels.destroy();
});

beforeEach(async () => {
  await readModels.deleteFrom('schedule').execute();
});

describe('claimDue', () => {
  it('claims the earliest due first, up to the limit, and leaves claimed, later and archived rows', async () => {
    await readModels
      .insertInto('schedule')
      .values([
        row('late', NOW - 1 * SECOND),
        row('earliest', NOW - 30 * SECOND),
        row('middle', NOW - 10 * SECOND),
        row('claimed-elsewhere', NOW - 40 * SECOND, { claimedUntil: NOW + 3 * SECOND }),
        row('claim-expired', NOW - 20 * SECOND, { claimedUntil: NOW - 1 }),
        row('ahead', NOW + 400),
        row('later', NOW + 10 * SECOND),
        row('unscheduled', null),
        row('archived', NOW - 50 * SECOND, { status: 'archived' }),
      ])
      .execute();

    const first = await claimDue(readModels, NOW, 5 * SECOND, 3);
    expect(ids(first)).toEqual(['earliest', 'claim-expired', 'middle']);
    // The rest of what is due, and what is due within the horizon when dispatching ahead.
    expect(ids(await claimDue(readModels, NOW, 5 * SECOND, 10, 500))).toEqual(['late', 'ahead']);
    // Everything due is claimed now: nothing until the claims end.
    expect(await claimDue(readModels, NOW + SECOND, 5 * SECOND, 10)).toEqual([]);
    const afterTtl = await claimDue(readModels, NOW + 5 * SECOND, 5 * SECOND, 10);
    expect(ids(afterTtl)).toEqual([
      'claimed-elsewhere',
      'earliest',
      'claim-expired',
      'middle',
      'late',
      'ahead',
    ]);
  });

  it('never gives one row to two dispatchers claiming at once', async () => {
    const endpoints = Array.from({ length: 300 }, (_, i) => `e${String(i).padStart(3, '0')}`);
    await readModels
      .insertInto('schedule')
      .values(endpoints.map((id, i) => row(id, NOW - i)))
      .execute();
    const claims = await Promise.all(
      [0, 1, 2].map(() => claimDue(readModels, NOW, 5 * SECOND, 120)),
    );
    const claimed = claims.flatMap(ids);
    expect(new Set(claimed).size).toBe(claimed.length);
    expect(claimed.length).toBe(endpoints.length);
  });

  it('reads the due index in slot order however many dead entries the rows left in it', async () => {
    const endpoints = Array.from({ length: 500 }, (_, i) => `e${i}`);
    await readModels
      .insertInto('schedule')
      .values(endpoints.map((id) => row(id, NOW + 3_600 * SECOND)))
      .execute();
    // Every write of a row moves its slot, as the projection's and the claims' do: each leaves a
    // dead entry in the past, inside every later claim's range. No vacuum runs in between.
    for (let round = 1; round <= 10; round++) {
      await sql`update schedule set next_run_at = ${new Date(NOW - round * SECOND)},
        stream_version = stream_version + 1`.execute(readModels);
    }
    await sql`update schedule set next_run_at = ${new Date(NOW + 3_600 * SECOND)}`.execute(
      readModels,
    );
    for (const [id, dueAt] of [
      ['e7', NOW - 3 * SECOND],
      ['e70', NOW - 2 * SECOND],
      ['e300', NOW - SECOND],
    ] as const) {
      await sql`update schedule set next_run_at = ${new Date(dueAt)} where endpoint_id = ${id}`.execute(
        readModels,
      );
    }

    const plan = await readModels.transaction().execute(async (trx) => {
      await walkDueIndexInOrder(trx);
      const { rows } = await sql<{ 'QUERY PLAN': unknown }>`explain (format json) ${claimStatement(
        NOW,
        5 * SECOND,
        200,
        0,
      )}`.execute(trx);
      return JSON.stringify(rows[0]?.['QUERY PLAN']);
    });
    expect(plan).toContain('"Node Type":"Index Scan"');
    expect(plan).toContain('"Index Name":"schedule_due_idx"');
    expect(plan).not.toContain('Bitmap');
    expect(plan).not.toContain('"Node Type":"Sort"');
    expect(ids(await claimDue(readModels, NOW, 5 * SECOND, 200))).toEqual(['e7', 'e70', 'e300']);
  });
});
