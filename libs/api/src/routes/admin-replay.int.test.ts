import { sql } from 'kysely';
import { beforeAll, describe, expect, it } from 'vitest';
import { ADMIN_KEY, useApiHarness } from '../test-support/api-harness.js';

const api = useApiHarness();
const admin = { key: ADMIN_KEY };
const replay = (body: unknown) => api().request('POST', '/v1/admin/replay', { ...admin, body });

beforeAll(async () => {
  const { request } = api();
  expect(
    (await request('POST', '/v1/jobs', { body: { id: 'nightly', name: 'Nightly' } })).status,
  ).toBe(201);
  for (const id of ['export', 'report']) {
    const endpoint = await request('POST', '/v1/jobs/nightly/endpoints', {
      body: {
        id,
        name: id,
        request: { url: 'http://127.0.0.1:9/hook' },
        baseline: { kind: 'interval', everyMs: 3_600_000 },
      },
    });
    expect(endpoint.status).toBe(201);
  }
  await api().catchUp();
});

describe('POST /v1/admin/replay', () => {
  it('replays the log into temporary tables and finds the read models equal to it', async () => {
    const { status, body } = await replay({});
    expect(status).toBe(200);
    expect(body).toMatchObject({ differences: [], notCompared: null, streams: null, parked: [] });
    // Folded in worker threads (the API process's loop stays free): their start is a stage.
    expect(body.timings.startMs).toBeGreaterThan(0);
    expect(body.tables.find((t: { table: string }) => t.table === 'schedule')).toEqual({
      table: 'schedule',
      live: 2,
      replayed: 2,
      differences: 0,
    });
    // Temporary tables go with their session: no schema is left behind.
    const { rows } = await sql<{ n: number }>`select count(*)::int as n from pg_namespace
      where nspname like 'replay\\_%'`.execute(api().deps.db);
    expect(rows[0]?.n).toBe(0);
  });

  it('names a corrupted row, and scoped to an endpoint reads only its streams', async () => {
    await sql`update schedule set reason = 'corrupted' where endpoint_id = 'export'`.execute(
      api().deps.db,
    );
    const all = await replay({ limit: 10 });
    expect(all.body.differences).toEqual([
      {
        table: 'schedule',
        key: { tenant_id: 't1', endpoint_id: 'export' },
        kind: 'changed',
        changes: [{ path: 'reason', live: 'corrupted', replayed: expect.any(String) }],
      },
    ]);
    const one = await replay({ tenantId: 't1', endpointId: 'report' });
    expect(one.body).toMatchObject({
      differences: [],
      streams: ['endpoint-t1.report', 'planner-t1.report', 'job-t1.nightly', 'tenant-t1'],
    });
  });

  it('answers 404 for an endpoint not in the log, 400 for a bad instant, 401 without the admin key', async () => {
    const missing = await replay({ endpointId: 'nope' });
    expect(missing).toMatchObject({
      status: 404,
      body: { detail: 'the log holds no endpoint nope' },
    });
    expect((await replay({ to: '2024-02-30T00:00:00Z' })).status).toBe(400);
    expect((await replay({ to: -1 })).status).toBe(400);
    const tenantKey = await api().request('POST', '/v1/admin/replay', { body: {} });
    expect(tenantKey.status).toBe(401);
  });
});
