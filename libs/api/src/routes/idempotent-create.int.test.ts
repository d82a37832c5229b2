import { describe, expect, it } from 'vitest';
import { useApiHarness } from '../test-support/api-harness.js';

const api = useApiHarness();
const typesIn = async (stream: string) =>
  (await api().deps.store.readStream(stream)).map((event) => event.type);

describe('creating a job with a client-chosen id', () => {
  it('answers 200 and the job as it is to an identical retry, appending nothing', async () => {
    const body = { id: 'nightly', name: 'Nightly', description: 'reports' };
    const created = await api().request('POST', '/v1/jobs', { body });
    expect(created.status).toBe(201);
    const again = await api().request('POST', '/v1/jobs', { body });
    expect(again.status).toBe(200);
    expect(again.body).toEqual((await api().request('GET', '/v1/jobs/nightly')).body);
    expect(again.body).toMatchObject({ id: 'nightly', name: 'Nightly', description: 'reports' });
    expect(await typesIn('job-t1.nightly')).toEqual(['JobCreated']);
  });

  it('takes an absent description for the empty one it stands for', async () => {
    expect((await api().request('POST', '/v1/jobs', { body: { id: 'p', name: 'P' } })).status).toBe(
      201,
    );
    const explicit = await api().request('POST', '/v1/jobs', {
      body: { id: 'p', name: 'P', description: '' },
    });
    expect(explicit.status).toBe(200);
  });

  it('answers 409 naming each field that differs, and changes nothing', async () => {
    await api().request('POST', '/v1/jobs', { body: { id: 'weekly', name: 'Weekly' } });
    const other = await api().request('POST', '/v1/jobs', {
      body: { id: 'weekly', name: 'Monthly', description: 'x' },
    });
    expect(other.status).toBe(409);
    expect(other.body).toMatchObject({ type: '/problems/conflict', status: 409 });
    expect(other.body.errors.map((e: { field: string }) => e.field)).toEqual([
      'body.name',
      'body.description',
    ]);
    expect((await api().request('GET', '/v1/jobs/weekly')).body.name).toBe('Weekly');
    expect(await typesIn('job-t1.weekly')).toEqual(['JobCreated']);
  });

  it('answers 409 to a retry of an archived job', async () => {
    const body = { id: 'old', name: 'Old' };
    await api().request('POST', '/v1/jobs', { body });
    await api().request('DELETE', '/v1/jobs/old');
    const again = await api().request('POST', '/v1/jobs', { body });
    expect(again.status).toBe(409);
    expect(again.body.detail).toMatch(/archived/);
  });

  it('makes one job of two identical creates racing each other', async () => {
    const body = { id: 'raced', name: 'Raced' };
    const answers = await Promise.all([
      api().request('POST', '/v1/jobs', { body }),
      api().request('POST', '/v1/jobs', { body }),
    ]);
    expect(answers.map((a) => a.status).sort()).toEqual([200, 201]);
    expect(await typesIn('job-t1.raced')).toEqual(['JobCreated']);
  });
});

describe('registering an endpoint with a client-chosen id', () => {
  const endpoint = (extra: Record<string, unknown> = {}) => ({
    id: 'ep-idem',
    name: 'ping',
    request: {
      url: 'http://127.0.0.1:9/ping',
      headers: {
        authorization: { value: 'Bearer s3cret', secret: true },
        accept: { value: 'application/json' },
      },
    },
    baseline: { kind: 'interval', everyMs: 60_000 },
    ...extra,
  });
  const create = (jobId: string, body: unknown) =>
    api().request('POST', `/v1/jobs/${jobId}/endpoints`, { body });

  it('answers 200 and the endpoint as it is to an identical retry, appending nothing', async () => {
    await api().request('POST', '/v1/jobs', { body: { id: 'j-idem', name: 'j' } });
    const created = await create('j-idem', endpoint());
    expect(created.status).toBe(201);
    const again = await create('j-idem', endpoint());
    expect(again.status).toBe(200);
    expect(again.body).toEqual(created.body);
    expect(again.body.config.request.headers.authorization).toEqual({ value: '***', secret: true });
    // Defaults spelled out and keys in another order are the same registration.
    const spelledOut = await create('j-idem', {
      baseline: { everyMs: 60_000, kind: 'interval' },
      timeoutMs: 10_000,
      request: {
        method: 'GET',
        headers: {
          accept: { value: 'application/json', secret: false },
          authorization: { secret: true, value: 'Bearer s3cret' },
        },
        url: 'http://127.0.0.1:9/ping',
      },
      name: 'ping',
      id: 'ep-idem',
    });
    expect(spelledOut.status).toBe(200);
    expect(await typesIn('endpoint-t1.ep-idem')).toEqual(['EndpointRegistered']);
  });

  it('answers 409 naming what differs: a secret, the URL, the job', async () => {
    await api().request('POST', '/v1/jobs', { body: { id: 'j-other', name: 'other' } });
    const cases: [string, unknown, string][] = [
      [
        'j-idem',
        endpoint({
          request: {
            url: 'http://127.0.0.1:9/ping',
            headers: {
              authorization: { value: 'Bearer other', secret: true },
              accept: { value: 'application/json' },
            },
          },
        }),
        'body.request.headers.authorization.value',
      ],
      [
        'j-idem',
        endpoint({ request: { ...endpoint().request, url: 'http://127.0.0.1:9/pong' } }),
        'body.request.url',
      ],
      ['j-other', endpoint(), 'params.jobId'],
    ];
    for (const [jobId, body, field] of cases) {
      const refused = await create(jobId, body);
      expect(refused.status, field).toBe(409);
      expect(refused.body.type).toBe('/problems/conflict');
      expect(refused.body.errors.map((e: { field: string }) => e.field)).toEqual([field]);
      expect(JSON.stringify(refused.body)).not.toMatch(/s3cret|Bearer other|enc:v1/);
    }
    expect(await typesIn('endpoint-t1.ep-idem')).toEqual(['EndpointRegistered']);
  });

  it('answers 409 to a retry of an archived endpoint', async () => {
    const body = endpoint({ id: 'ep-gone' });
    await create('j-idem', body);
    await api().request('DELETE', '/v1/endpoints/ep-gone');
    const again = await create('j-idem', body);
    expect(again.status).toBe(409);
    expect(again.body.detail).toMatch(/archived/);
  });

  it('in a paused job, a retry appends nothing, and the job holds the endpoint all along', async () => {
    await api().request('POST', '/v1/jobs', { body: { id: 'j-frozen', name: 'frozen' } });
    await api().request('POST', '/v1/jobs/j-frozen/pause', { body: { reason: 'freeze' } });
    const body = endpoint({ id: 'ep-frozen' });
    const first = await create('j-frozen', body);
    expect(first.status).toBe(201);
    expect(first.body.job.paused).toEqual({ until: null, reason: 'freeze' });
    const again = await create('j-frozen', body);
    expect(again.status).toBe(200);
    expect(again.body.job.paused).toEqual({ until: null, reason: 'freeze' });
    expect(again.body.schedule.reason).toBe('job_paused_indefinitely');
    expect(await typesIn('endpoint-t1.ep-frozen')).toEqual(['EndpointRegistered']);
  });
});
