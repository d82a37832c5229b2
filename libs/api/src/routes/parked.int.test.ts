import { sql } from 'kysely';
import { describe, expect, it } from 'vitest';
import { createSchedulingDb } from '@orrery/scheduling';
import { createApiKey, createTenant } from '../tenants.js';
import { waitFor } from '@orrery/testkit';
import { buildApp } from '../app.js';
import { useApiHarness } from '../test-support/api-harness.js';

const api = useApiHarness();

const endpoint = (id: string, name: string) => ({
  id,
  name,
  request: { url: 'http://127.0.0.1:9/' },
  baseline: { kind: 'interval', everyMs: 60_000 },
});

/** Rows the projection wrote, by tenant and endpoint. */
const scheduled = async () =>
  (
    await api()
      .deps.db.selectFrom('schedule')
      .select(['tenant_id', 'endpoint_id'])
      .orderBy('tenant_id')
      .orderBy('endpoint_id')
      .execute()
  ).map((row) => `${row.tenant_id}/${row.endpoint_id}`);

describe('a stream the projection cannot apply', () => {
  it('is parked, visibly, while every other tenant goes on; a normal command fixes it', async () => {
    // A value the database refuses for one endpoint, whatever the reason (here a trigger).
    const admin = createSchedulingDb({ connectionString: api().databaseUrl, max: 1 });
    try {
      await sql`create function refuse_poison() returns trigger language plpgsql as $$
        begin
          if new.state #>> '{config,name}' = 'poison' then
            raise exception 'the database refuses this row' using errcode = '22023';
          end if;
          return new;
        end $$`.execute(admin);
      await sql`create trigger refuse_poison before insert or update on schedule
        for each row execute function refuse_poison()`.execute(admin);
    } finally {
      await admin.destroy();
    }
    await api().request('POST', '/v1/jobs', { body: { id: 'j', name: 'j' } });
    await api().request('POST', '/v1/jobs/j/endpoints', { body: endpoint('poison', 'poison') });
    await createTenant(api().deps.store, 'canary', 'Canary');
    const { key } = await createApiKey(api().deps.store, 'canary', 'k');
    await api().request('POST', '/v1/jobs', { key, body: { id: 'j', name: 'j' } });
    await api().request('POST', '/v1/jobs/j/endpoints', { key, body: endpoint('c', 'canary') });

    await api().catchUp();
    // The other tenant's endpoint is scheduled; the bad one is set aside, not retried forever.
    expect(await scheduled()).toEqual(['canary/c']);
    const poisoned = await api().request('GET', '/v1/endpoints/poison');
    expect(poisoned.status).toBe(200);
    expect(poisoned.body.parked).toEqual([
      expect.objectContaining({ processor: 'scheduling', error: 'the database refuses this row' }),
    ]);
    const ready = await api().request('GET', '/readyz', { key: null });
    expect(ready.status).toBe(200);
    expect(ready.body.parked).toBe(1);
    expect(ready.body.processors).toContainEqual(
      expect.objectContaining({ name: 'scheduling', lag: 0, parked: 1 }),
    );

    // The operator fixes the endpoint with a normal command; its stream is applied again.
    const fixed = await api().request('PATCH', '/v1/endpoints/poison', { body: { name: 'fixed' } });
    expect(fixed.status).toBe(200);
    await api().catchUp();
    expect(await scheduled()).toEqual(['canary/c', 't1/poison']);
    expect((await api().request('GET', '/v1/endpoints/poison')).body.parked).toEqual([]);
    expect((await api().request('GET', '/readyz', { key: null })).body.parked).toBe(0);
  });
});

describe('/readyz', () => {
  it('answers 503 naming the processor when its oldest unhandled event has waited past the threshold', async () => {
    await api().catchUp();
    // The log's time never goes back, so an event cannot be backdated: this app's threshold is
    // one second, and the test waits for the event to be that old.
    const app = await buildApp({ ...api().deps, stallAfterMs: 1_000 });
    const ready = async () => {
      const response = await app.inject({ method: 'GET', url: '/readyz' });
      return { status: response.statusCode, body: response.json() };
    };
    await api().deps.store.appendMany([
      {
        streamId: 'job-t1.stale',
        expectedVersion: 0,
        events: [
          {
            type: 'JobCreated',
            data: { jobId: 'stale', tenantId: 't1', name: 'stale', description: '' },
            metadata: { tenantId: 't1', actor: { kind: 'user', id: 'u' } },
          },
        ],
      },
    ]);
    try {
      const stalled = await waitFor(
        'readyz to see the stall',
        async () => {
          const answer = await ready();
          return answer.status === 503 ? answer : undefined;
        },
        { timeoutMs: 15_000, intervalMs: 100 },
      );
      expect(stalled.body.detail).toMatch(
        /^scheduling stalled: 1 events waiting for \d+ s \(no process runs it\)/,
      );
      // The API's own threshold (30 s) is not reached.
      expect((await api().request('GET', '/readyz', { key: null })).status).toBe(200);
      await api().catchUp();
      expect((await ready()).status).toBe(200);
    } finally {
      await app.close();
    }
  });
});
