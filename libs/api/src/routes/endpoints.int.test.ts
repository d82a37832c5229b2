import { describe, expect, it } from 'vitest';
import { useApiHarness } from '../test-support/api-harness.js';

const api = useApiHarness();

const config = (extra: Record<string, unknown> = {}) => ({
  name: 'ping',
  request: { url: 'http://127.0.0.1:9/ping' },
  baseline: { kind: 'interval', everyMs: 60_000 },
  ...extra,
});

async function newJob(name = 'job'): Promise<string> {
  const { body } = await api().request('POST', '/v1/jobs', { body: { name } });
  return body.id as string;
}

async function newEndpoint(jobId: string, body: Record<string, unknown> = config()) {
  const response = await api().request('POST', `/v1/jobs/${jobId}/endpoints`, { body });
  expect(response.status).toBe(201);
  return response.body;
}

const streamOf = (id: string) => api().deps.store.readStream(`endpoint-t1.${id}`);

describe('endpoints', () => {
  it('registers, reads (without waiting for the projection) and lists with a cursor', async () => {
    const jobId = await newJob();
    const created = await newEndpoint(jobId, { id: 'ep-a', ...config() });
    expect(created).toMatchObject({
      id: 'ep-a',
      jobId,
      status: 'active',
      config: { name: 'ping', timeoutMs: 10_000, request: { method: 'GET', headers: {} } },
      paused: null,
      hints: { interval: null, oneShot: null },
      schedule: { reason: 'first_run' },
      lastRun: null,
      inFlight: null,
      consecutiveFailures: 0,
    });
    expect(Date.parse(created.schedule.nextRunAt)).toBeGreaterThan(0);
    const got = await api().request('GET', '/v1/endpoints/ep-a');
    expect(got.status).toBe(200);
    expect(got.body).toEqual(created);

    await newEndpoint(jobId, { id: 'ep-b', ...config() });
    await newEndpoint(jobId, { id: 'ep-c', ...config() });
    await api().catchUp();
    // A write after the snapshot: the read folds the stream's tail over it.
    await api().request('PATCH', '/v1/endpoints/ep-a', { body: { name: 'renamed' } });
    expect((await api().request('GET', '/v1/endpoints/ep-a')).body.config.name).toBe('renamed');

    const first = await api().request('GET', `/v1/jobs/${jobId}/endpoints?limit=2`);
    expect(first.status).toBe(200);
    expect(first.body.items.map((e: { id: string }) => e.id)).toEqual(['ep-a', 'ep-b']);
    const url = `/v1/jobs/${jobId}/endpoints?limit=2&cursor=${first.body.nextCursor}`;
    const second = await api().request('GET', url);
    expect(second.body.items.map((e: { id: string }) => e.id)).toEqual(['ep-c']);
    expect(second.body.nextCursor).toBeNull();
  });

  it('holds every endpoint of a paused job with one event, those registered later too', async () => {
    const jobId = await newJob();
    const before = await newEndpoint(jobId);
    const jobEvents = async () =>
      (await api().deps.store.readStream(`job-t1.${jobId}`)).map((e) => e.type);
    await api().request('POST', `/v1/jobs/${jobId}/pause`, { body: { reason: 'freeze' } });
    // One event on the job's stream, none on the endpoints'.
    expect(await jobEvents()).toEqual(['JobCreated', 'JobPaused']);
    const later = await newEndpoint(jobId);
    // The registration's answer shows the hold at once.
    expect(later.job).toEqual({ paused: { until: null, reason: 'freeze' }, archived: false });
    expect(later.schedule.reason).toBe('job_paused_indefinitely');
    for (const id of [before.id, later.id]) {
      const { body } = await api().request('GET', `/v1/endpoints/${id}`);
      expect(body.job).toEqual({ paused: { until: null, reason: 'freeze' }, archived: false });
      expect(body.paused).toBeNull();
      expect(body.schedule).toEqual({ nextRunAt: null, reason: 'job_paused_indefinitely' });
      expect((await streamOf(id)).map((e) => e.type)).toEqual(['EndpointRegistered']);
    }
    // A command's answer shows the job's hold, as a read does (with the read model behind).
    const pausedToo = await api().request('POST', `/v1/endpoints/${later.id}/pause`, {
      body: { reason: 'both' },
    });
    expect(pausedToo.status).toBe(200);
    expect(pausedToo.body.job).toEqual({
      paused: { until: null, reason: 'freeze' },
      archived: false,
    });
    expect(pausedToo.body.paused).toEqual({ until: null, reason: 'both' });
    await api().request('POST', `/v1/endpoints/${later.id}/resume`);
    // The read model follows the one event too: nothing of the job is due.
    await api().catchUp();
    const due = await api()
      .deps.db.selectFrom('schedule')
      .select(['endpoint_id', 'next_run_at', 'reason'])
      .where('job_id', '=', jobId)
      .execute();
    expect(due).toHaveLength(2);
    expect(due.every((row) => row.next_run_at === null)).toBe(true);

    await api().request('POST', `/v1/jobs/${jobId}/resume`, { body: {} });
    const resumed = await api().request('GET', `/v1/endpoints/${later.id}`);
    expect(resumed.body.job.paused).toBeNull();
    expect(resumed.body.schedule.reason).toBe('first_run');

    await api().request('DELETE', `/v1/jobs/${jobId}`);
    const archived = await api().request('GET', `/v1/endpoints/${before.id}`);
    expect(archived.body.job.archived).toBe(true);
    expect(archived.body.schedule).toEqual({ nextRunAt: null, reason: 'job_archived' });
    const refused = await api().request('POST', `/v1/jobs/${jobId}/endpoints`, { body: config() });
    expect(refused.status).toBe(409);
    // An endpoint of an archived job takes no change but its own archiving, answered as such.
    const frozen = await api().request('POST', `/v1/endpoints/${later.id}/pause`, { body: {} });
    expect(frozen.status).toBe(409);
    expect(frozen.body.detail).toBe(`the job of endpoint ${later.id} is archived`);
    const gone = await api().request('DELETE', `/v1/endpoints/${later.id}`);
    expect(gone.status).toBe(200);
    expect(gone.body).toMatchObject({ status: 'archived', job: { archived: true } });
  });

  it('merges updates over the config, pauses, resumes and archives', async () => {
    const { id } = await newEndpoint(await newJob(), config({ maxIntervalMs: 600_000 }));
    const patched = await api().request('PATCH', `/v1/endpoints/${id}`, {
      body: {
        request: { method: 'POST', body: '{}' },
        baseline: { kind: 'cron', expression: '*/5 * * * *' },
        backoff: { factor: 3 },
        maxIntervalMs: null,
      },
    });
    expect(patched.status).toBe(200);
    expect(patched.body.config).toMatchObject({
      name: 'ping',
      request: { method: 'POST', url: 'http://127.0.0.1:9/ping', body: '{}' },
      baseline: { kind: 'cron', expression: '*/5 * * * *', timezone: 'UTC' },
      backoff: { factor: 3, maxMs: 3_600_000 },
    });
    expect(patched.body.config.maxIntervalMs).toBeUndefined();
    const crossed = await api().request('PATCH', `/v1/endpoints/${id}`, {
      body: { minIntervalMs: 5_000, maxIntervalMs: 1_000 },
    });
    expect(crossed.status).toBe(400);
    expect(crossed.body.errors[0].field).toBe('body.maxIntervalMs');

    const until = new Date(Date.now() + 3_600_000).toISOString();
    const paused = await api().request('POST', `/v1/endpoints/${id}/pause`, {
      body: { until, reason: 'maintenance' },
    });
    expect(paused.body.paused).toEqual({ until, reason: 'maintenance' });
    expect(paused.body.schedule).toEqual({ nextRunAt: until, reason: 'paused' });
    // No body at all is fine too.
    const resumed = await api().request('POST', `/v1/endpoints/${id}/resume`);
    expect(resumed.body.paused).toBeNull();

    const archived = await api().request('DELETE', `/v1/endpoints/${id}`);
    expect(archived.status).toBe(200);
    expect(archived.body).toMatchObject({ status: 'archived', schedule: { nextRunAt: null } });
    const late = await api().request('PATCH', `/v1/endpoints/${id}`, { body: { name: 'x' } });
    expect(late.status).toBe(409);
  });

  it('seals secret headers in the log, redacts them in answers, and "***" keeps them', async () => {
    const { id } = await newEndpoint(
      await newJob(),
      config({
        request: {
          url: 'http://127.0.0.1:9/ping',
          headers: {
            authorization: { value: 'Bearer s3cret', secret: true },
            'x-plain': { value: 'visible' },
          },
        },
      }),
    );
    const got = await api().request('GET', `/v1/endpoints/${id}`);
    expect(got.body.config.request.headers).toEqual({
      authorization: { value: '***', secret: true },
      'x-plain': { value: 'visible', secret: false },
    });
    expect(JSON.stringify(got.body)).not.toMatch(/s3cret|enc:v1:/);
    const logged = JSON.stringify(await streamOf(id));
    expect(logged).toContain('enc:v1:');
    expect(logged).not.toContain('s3cret');

    const kept = await api().request('PATCH', `/v1/endpoints/${id}`, {
      body: { request: { headers: { Authorization: { value: '***', secret: true } } } },
    });
    expect(kept.status).toBe(200);
    expect(kept.body.config.request.headers).toEqual({
      Authorization: { value: '***', secret: true },
    });
    const last = (await streamOf(id)).at(-1);
    if (last?.type !== 'EndpointReconfigured') throw new Error('expected EndpointReconfigured');
    const sealed = last.data.config.request.headers.Authorization?.value ?? '';
    expect(api().deps.secrets.open(sealed)).toBe('Bearer s3cret');

    const nothingToKeep = await api().request('PATCH', `/v1/endpoints/${id}`, {
      body: { request: { headers: { 'x-other': { value: '***', secret: true } } } },
    });
    expect(nothingToKeep.status).toBe(400);
    expect(nothingToKeep.body.errors[0].field).toBe('body.request.headers.x-other.value');
  });

  it('rejects bad values and unknown fields with problem JSON naming the field', async () => {
    const jobId = await newJob();
    const { id } = await newEndpoint(jobId);
    const cases: [string, string, unknown, string][] = [
      [
        'POST',
        `/v1/jobs/${jobId}/endpoints`,
        config({ baseline: { kind: 'interval', everyMs: 5 } }),
        'body.baseline.everyMs',
      ],
      ['POST', `/v1/jobs/${jobId}/endpoints`, config({ colour: 'red' }), 'body'],
      // Durations past what a schedule can use once stopped every tenant's scheduling.
      [
        'POST',
        `/v1/jobs/${jobId}/endpoints`,
        config({ minIntervalMs: 9007199254740991 }),
        'body.minIntervalMs',
      ],
      [
        'POST',
        `/v1/jobs/${jobId}/endpoints`,
        config({ backoff: { maxMs: 9007199254740991 } }),
        'body.backoff.maxMs',
      ],
      [
        'POST',
        `/v1/jobs/${jobId}/endpoints`,
        config({ request: { url: 'http://user:secret@127.0.0.1:9/x' } }),
        'body.request.url',
      ],
      ['PATCH', `/v1/endpoints/${id}`, { minIntervalMs: 1e15 }, 'body.minIntervalMs'],
      [
        'POST',
        `/v1/jobs/${jobId}/endpoints`,
        config({ request: { url: 'ftp://x' } }),
        'body.request.url',
      ],
      [
        'POST',
        `/v1/jobs/${jobId}/endpoints`,
        config({ request: { url: 'http://a.b', headers: { h: { value: 'enc:v1:x' } } } }),
        'body.request.headers.h.value',
      ],
      ['GET', `/v1/jobs/${jobId}/endpoints?limit=0`, undefined, 'querystring.limit'],
      ['GET', `/v1/jobs/${jobId}/endpoints?cursor=nope`, undefined, 'querystring.cursor'],
      ['GET', '/v1/endpoints/bad%21id', undefined, 'params.endpointId'],
      ['PATCH', `/v1/endpoints/${id}`, { timeoutMs: 'soon' }, 'body.timeoutMs'],
      ['PATCH', `/v1/endpoints/${id}`, { request: { verb: 'GET' } }, 'body.request'],
      ['DELETE', '/v1/endpoints/bad%21id', undefined, 'params.endpointId'],
      ['POST', `/v1/endpoints/${id}/pause`, { until: 'tomorrow' }, 'body.until'],
      ['POST', `/v1/endpoints/${id}/pause`, { until: '2000-01-01T00:00:00Z' }, 'body.until'],
      ['POST', `/v1/endpoints/${id}/pause`, { until: '9999-12-31T00:00:00Z' }, 'body.until'],
      ['POST', `/v1/jobs/${jobId}/pause`, { until: '9999-12-31T00:00:00Z' }, 'body.until'],
      ['POST', `/v1/endpoints/${id}/resume`, { why: 'x' }, 'body'],
    ];
    for (const [method, url, body, field] of cases) {
      const response = await api().request(method as 'GET', url, { body });
      expect(response.status, `${method} ${url}`).toBe(400);
      expect(response.headers['content-type']).toContain('application/problem+json');
      expect(response.body.type).toBe('/problems/validation');
      expect(response.body.errors[0].field, `${method} ${url}`).toBe(field);
    }
  });

  it("answers 404 for another tenant's job or endpoint, never its data", async () => {
    const jobId = await newJob('t1 private job');
    const { id } = await newEndpoint(jobId, config({ name: 't1 private endpoint' }));
    await api().catchUp();
    const t2 = api().keys.t2;
    for (const [method, url, body] of [
      ['POST', `/v1/jobs/${jobId}/endpoints`, config()],
      ['GET', `/v1/jobs/${jobId}/endpoints`, undefined],
      ['GET', `/v1/endpoints/${id}`, undefined],
      ['PATCH', `/v1/endpoints/${id}`, { name: 'mine now' }],
      ['DELETE', `/v1/endpoints/${id}`, undefined],
      ['POST', `/v1/endpoints/${id}/pause`, {}],
      ['POST', `/v1/endpoints/${id}/resume`, {}],
    ] as const) {
      const response = await api().request(method, url, { key: t2, body });
      expect(response.status, `${method} ${url}`).toBe(404);
      expect(JSON.stringify(response.body)).not.toMatch(/private|ping/);
    }
    const mine = await api().request('GET', `/v1/endpoints/${id}`);
    expect(mine.body).toMatchObject({ status: 'active', paused: null });
    expect(mine.body.config.name).toBe('t1 private endpoint');
  });

  it('refuses every route without an API key', async () => {
    for (const [method, url] of [
      ['POST', '/v1/jobs/j/endpoints'],
      ['GET', '/v1/jobs/j/endpoints'],
      ['GET', '/v1/endpoints/e'],
      ['PATCH', '/v1/endpoints/e'],
      ['DELETE', '/v1/endpoints/e'],
      ['POST', '/v1/endpoints/e/pause'],
      ['POST', '/v1/endpoints/e/resume'],
    ] as const) {
      const response = await api().request(method, url, { key: null, body: {} });
      expect(response.status, `${method} ${url}`).toBe(401);
      expect(response.body.type).toBe('/problems/unauthorized');
    }
  });
});
