import { endpointStream } from '@orrery/domain';
import { sql } from 'kysely';
import { describe, expect, it } from 'vitest';
import { useApiHarness } from '../test-support/api-harness.js';
import { readEndpointHead } from './endpoints.js';

const api = useApiHarness();

const createJob = async (id: string) => {
  const created = await api().request('POST', '/v1/jobs', { body: { id, name: 'before' } });
  expect(created.status).toBe(201);
};

const registerEndpoint = async (jobId: string, id: string) => {
  const registered = await api().request('POST', `/v1/jobs/${jobId}/endpoints`, {
    body: {
      id,
      name: id,
      request: { url: 'https://example.com/never-called' },
      baseline: { kind: 'interval', everyMs: 3_600_000 },
    },
  });
  expect(registered.status).toBe(201);
};

const jobRow = async (jobId: string) =>
  api()
    .deps.db.selectFrom('jobs')
    .select(['stream_version', 'state_version'])
    .where('tenant_id', '=', 't1')
    .where('job_id', '=', jobId)
    .executeTakeFirstOrThrow();

describe('single reads: the read model row and the events after it, in one statement', () => {
  it('sees an event appended after the read-model row was written', async () => {
    await createJob('fresh');
    await api().catchUp();
    const before = await jobRow('fresh');
    // Appended, not projected: the row stays behind the stream.
    const patched = await api().request('PATCH', '/v1/jobs/fresh', { body: { name: 'after' } });
    expect(patched.status).toBe(200);
    expect(await jobRow('fresh')).toEqual(before);

    const read = await api().request('GET', '/v1/jobs/fresh');
    expect(read.status).toBe(200);
    expect(read.body).toMatchObject({ id: 'fresh', name: 'after' });
  });

  it('starts from a snapshot of the current state version, and folds the log past any other', async () => {
    await createJob('snap');
    await api().catchUp();
    const { db } = api().deps;
    await sql`update jobs set state = jsonb_set(state, '{name}', '"from the snapshot"')
      where tenant_id = 't1' and job_id = 'snap'`.execute(db);
    // The snapshot is what the read starts from (a read's cost never grows with the stream)…
    expect((await api().request('GET', '/v1/jobs/snap')).body.name).toBe('from the snapshot');
    // …unless it holds a state of another version, which is never trusted.
    await sql`update jobs set state_version = state_version - 1
      where tenant_id = 't1' and job_id = 'snap'`.execute(db);
    expect((await api().request('GET', '/v1/jobs/snap')).body.name).toBe('before');
  });

  it('reads an endpoint the projection has not seen, and one paused since its row was written', async () => {
    await createJob('eps');
    await registerEndpoint('eps', 'unseen');
    const unseen = await api().request('GET', '/v1/endpoints/unseen');
    expect(unseen.status).toBe(200);
    expect(unseen.body).toMatchObject({ id: 'unseen', jobId: 'eps', paused: null });

    await api().catchUp();
    const paused = await api().request('POST', '/v1/endpoints/unseen/pause', {
      body: { until: null, reason: 'not projected yet' },
    });
    expect(paused.status).toBe(200);
    const read = await api().request('GET', '/v1/endpoints/unseen');
    expect(read.body.paused).toEqual({ until: null, reason: 'not projected yet' });
    // The job's pause, appended after the job's row too, holds the endpoint.
    await api().request('POST', '/v1/jobs/eps/pause', { body: { reason: 'job held' } });
    const held = await api().request('GET', '/v1/endpoints/unseen');
    expect(held.body.job.paused).toEqual({ until: null, reason: 'job held' });

    expect((await api().request('GET', '/v1/endpoints/nobody')).status).toBe(404);
  });

  it("reads the stream's last events for a window even when the snapshot is at the head", async () => {
    await createJob('window');
    await registerEndpoint('window', 'w1');
    await api().request('POST', '/v1/endpoints/w1/pause', { body: { reason: 'one' } });
    await api().request('POST', '/v1/endpoints/w1/resume', { body: { reason: 'two' } });
    await api().catchUp();
    const deps = api().deps;
    const none = await readEndpointHead(deps, 't1', 'w1');
    expect(none.events).toEqual([]);
    const last = await readEndpointHead(deps, 't1', 'w1', 2);
    expect(last.state).toEqual(none.state);
    expect(last.events.map((e) => [e.streamId, e.streamVersion])).toEqual([
      [endpointStream('t1', 'w1'), none.state.version - 1],
      [endpointStream('t1', 'w1'), none.state.version],
    ]);
  });
});
