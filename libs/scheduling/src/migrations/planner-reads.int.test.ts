import { defaultPlannerSettings, foldWith, jobDecider, makeEvent } from '@orrery/domain';
import { migrateDatabase } from '@orrery/event-store';
import { useTestDatabase } from '@orrery/testkit';
import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createSchedulingDb } from '../db.js';
import { jobSnapshot } from '../read-model/snapshots.js';
import { schedulingMigrations } from './index.js';

// Job rows projected before 0110 hold a version-2 state: upgraded in place, with the defaults.
const db = useTestDatabase();
const upTo0109 = Object.fromEntries(
  Object.entries(schedulingMigrations).filter(([name]) => name < '0110'),
);
let readModels: ReturnType<typeof createSchedulingDb>;

beforeAll(async () => {
  await migrateDatabase(db().url, undefined, upTo0109);
  readModels = createSchedulingDb({ connectionString: db().url, max: 2 });
  const meta = { tenantId: 't1', actor: { kind: 'user' as const, id: 'u1' } };
  const created = makeEvent('JobCreated', { jobId: 'j1', tenantId: 't1', name: 'Nightly' }, meta);
  const { planner: _none, ...v2 } = foldWith(jobDecider, [created]);
  await sql`insert into jobs (job_id, tenant_id, name, status, state, state_version,
      stream_version, created_position)
    values ('j1', 't1', 'Nightly', 'active', ${JSON.stringify(v2)}::jsonb, 2, 1, 1)`.execute(
    readModels,
  );
  await migrateDatabase(db().url, undefined, schedulingMigrations);
});
afterAll(async () => {
  await readModels.destroy();
});

describe('migration 0110 (planner reads)', () => {
  it('upgrades version-2 job states in place: the planner defaults, state version 3', async () => {
    // Were the defaults to change, old snapshots would differ from a fresh fold: bump
    // JOB_STATE_VERSION then, and this test with it.
    const state = await jobSnapshot(readModels, 't1', 'j1');
    expect(state).toMatchObject({ jobId: 'j1', name: 'Nightly', planner: defaultPlannerSettings });
    const row = await readModels
      .selectFrom('jobs')
      .select(['planner', 'state_version'])
      .executeTakeFirstOrThrow();
    expect(row).toEqual({ planner: null, state_version: 3 });
  });

  it('creates the conflicts and planner sessions tables, empty', async () => {
    expect(await readModels.selectFrom('conflicts').selectAll().execute()).toEqual([]);
    expect(await readModels.selectFrom('planner_sessions').selectAll().execute()).toEqual([]);
  });
});
