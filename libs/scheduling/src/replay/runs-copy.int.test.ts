import { migrateDatabase } from '@orrery/event-store';
import { useTestDatabase } from '@orrery/testkit';
import { sql } from 'kysely';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { createSchedulingDb, type SchedulingDb } from '../db.js';
import { schedulingMigrations } from '../migrations/index.js';
import type { RunDoc } from './memory-fold.js';
import { copyRuns, runsCopyData } from './runs-copy.js';
import { createShadow, type Shadow } from './shadow.js';

const db = useTestDatabase();
let live: SchedulingDb;
let shadow: Shadow | null = null;

beforeAll(async () => {
  await migrateDatabase(db().url, undefined, schedulingMigrations);
  live = createSchedulingDb({ connectionString: db().url, max: 2 });
});
afterEach(async () => {
  await shadow?.drop();
  shadow = null;
});
afterAll(async () => {
  await live.destroy();
});

const T = Date.parse('2026-03-01T08:00:00.000Z');
const answered: RunDoc = {
  run_id: 'r-1',
  endpoint_id: 'e1',
  tenant_id: 't1',
  job_id: 'j1',
  scheduled_for: T,
  dispatched_at: T + 7,
  attempt: 2,
  reason: 'schedule',
  status: 'failed',
  outcome: 'http_error',
  lateness_ms: 7,
  dispatch_position: 41,
  test: false,
  started_at: T + 9,
  finished_at: T + 1_509,
  duration_ms: 1_500.25,
  http_status: 503,
  // Control characters, backslashes and text beyond ASCII.
  error: 'http: upstream said\n\t"no" \\ retry\r\nlater — ✓ \\N',
  response_position: 42,
};
const open: RunDoc = {
  ...answered,
  run_id: 'r\t2\\',
  dispatch_position: 43,
  status: 'dispatched',
  outcome: 'pending',
  test: true,
  started_at: null,
  finished_at: null,
  duration_ms: null,
  http_status: null,
  error: null,
  response_position: null,
};

const newShadow = async () =>
  (shadow = await createShadow(db().url, live, 'schema', new Date('2026-03-01T08:00:00Z')));

/** The shadow's runs, instants as epoch milliseconds: the RunDoc they were written from. */
async function runsOf(target: Shadow): Promise<RunDoc[]> {
  const { rows } = await sql<RunDoc>`
    select run_id, endpoint_id, tenant_id, job_id,
      (extract(epoch from scheduled_for) * 1000)::float8 as scheduled_for,
      (extract(epoch from dispatched_at) * 1000)::float8 as dispatched_at,
      attempt, reason, status, outcome, lateness_ms, dispatch_position, test,
      (extract(epoch from started_at) * 1000)::float8 as started_at,
      (extract(epoch from finished_at) * 1000)::float8 as finished_at,
      duration_ms, http_status, error, response_position
    from runs order by dispatch_position, run_id`.execute(target.db);
  return rows;
}

describe("a replay's runs, copied into its shadow", () => {
  it('arrive as they were folded: any text, nulls, instants to the millisecond, fractions', async () => {
    const target = await newShadow();
    // Longer than the room made for a run: the buffer grows.
    const long: RunDoc = {
      ...answered,
      run_id: 'r-3',
      dispatch_position: 44,
      error: '✓'.repeat(900),
    };
    await copyRuns(target.pool, runsCopyData([answered, open, long]));
    await copyRuns(target.pool, runsCopyData([])); // nothing to copy: a COPY of no rows
    expect(await runsOf(target)).toEqual([answered, open, long]);
  });

  it('refuse a run written twice', async () => {
    const target = await newShadow();
    await copyRuns(target.pool, runsCopyData([answered]));
    await expect(
      copyRuns(target.pool, runsCopyData([{ ...answered, attempt: 3 }])),
    ).rejects.toThrow(/duplicate key value violates unique constraint/);
    expect(await runsOf(target)).toEqual([answered]);
  });

  it('refuse a number the column cannot hold, naming the column, before anything is sent', () => {
    expect(() => runsCopyData([{ ...answered, attempt: 1.5 }])).toThrow(
      'run column attempt: 1.5 is not a 32-bit integer',
    );
    expect(() => runsCopyData([{ ...answered, dispatch_position: 2 ** 53 }])).toThrow(
      /run column dispatch_position: .* is not a whole number/,
    );
  });

  it('fail as Postgres refuses a row, and the connection goes on serving', async () => {
    const target = await newShadow();
    // A NaN instant is null, as JSON had it; the column refuses a null.
    const refused = runsCopyData([{ ...answered, scheduled_for: Number.NaN }]);
    await expect(copyRuns(target.pool, refused)).rejects.toThrow(/scheduled_for.*not-null/);
    await copyRuns(target.pool, runsCopyData([answered]));
    expect(await runsOf(target)).toEqual([answered]);
  });
});
