import { createOrreryClient, type OrreryClient, type Schema } from '@orrery/api-client';
import { createPostgresEventStore, migrateDatabase } from '@orrery/event-store';
import { freePort } from '@orrery/postgres';
import {
  createSchedulingDb,
  schedulingMigrations,
  runToHead,
  SchedulingProjection,
  type SchedulingDb,
} from '@orrery/scheduling';
import { SecretBox } from '@orrery/secrets';
import { startTargetServer, useTestDatabase, type TargetServer } from '@orrery/testkit';
import pino from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startApiProcess, type ApiProcess } from './support/api-process.js';

const db = useTestDatabase();

const ADMIN_KEY = 'e2e-admin-key-0123456789abcdefgh';
const SECRET = 'top-secret-signature';

/** Never called: it fails to compile if the client stops checking paths and bodies. */
function _compileTimeChecks(client: OrreryClient) {
  // @ts-expect-error an unknown path
  void client.GET('/v1/nope');
  // @ts-expect-error a body of the wrong shape
  void client.POST('/v1/jobs', { body: { name: 42 } });
  // @ts-expect-error a missing path parameter
  void client.GET('/v1/jobs/{jobId}', {});
}

describe('the API as a process, driven through the typed client', () => {
  let api: ApiProcess | undefined;
  let target: TargetServer | undefined;
  let readModels: SchedulingDb | undefined;
  let closeStore: (() => Promise<void>) | undefined;
  /** The projection service's work, done inline: the job-wide commands and lists read its models. */
  let project: () => Promise<void>;

  beforeAll(async () => {
    const url = db().url;
    await migrateDatabase(url, undefined, schedulingMigrations);
    target = await startTargetServer();
    const port = await freePort();
    api = startApiProcess({
      baseUrl: `http://127.0.0.1:${port}`,
      env: {
        DATABASE_URL: url,
        PORT: String(port),
        HOST: '127.0.0.1',
        ORRERY_SECRET_KEY: SecretBox.generateKey(),
        ORRERY_ADMIN_KEY: ADMIN_KEY,
        ALLOW_LOOPBACK: 'true',
        LOG_LEVEL: 'warn',
      },
    });
    await api.ready(30_000);
    const store = createPostgresEventStore({ connectionString: url, maxConnections: 2 });
    closeStore = () => store.close();
    readModels = createSchedulingDb({ connectionString: url, max: 2 });
    const projection = new SchedulingProjection({ db: readModels, store });
    project = async () => {
      await runToHead(projection, { store, db: readModels!, log: pino({ level: 'silent' }) });
    };
  });

  afterAll(async () => {
    const status = await api?.stop();
    // A clean shutdown on SIGTERM: exit code 0, no signal needed.
    if (status) expect(status, api?.output()).toEqual({ code: 0, signal: null });
    await target?.close();
    await closeStore?.();
    await readModels?.destroy();
  });

  it('creates a tenant and a key, then runs a job from creation to archive', async () => {
    if (!api || !target) throw new Error('not started');
    const admin = createOrreryClient({ baseUrl: api.baseUrl, apiKey: ADMIN_KEY });

    const tenant = await admin.POST('/v1/admin/tenants', { body: { id: 'acme', name: 'Acme' } });
    expect(tenant.response.status).toBe(201);
    expect(tenant.data).toEqual({ id: 'acme', name: 'Acme' });
    const created = await admin.POST('/v1/admin/tenants/{tenantId}/keys', {
      params: { path: { tenantId: 'acme' } },
      body: { name: 'e2e' },
    });
    expect(created.response.status).toBe(201);
    if (!created.data) throw new Error(`no key: ${JSON.stringify(created.error)}`);
    const orrery = createOrreryClient({ baseUrl: api.baseUrl, apiKey: created.data.key });

    // The tenant's key is not the admin key: a typed problem, not an exception.
    const refused = await orrery.POST('/v1/admin/tenants', { body: { id: 'evil', name: 'x' } });
    expect(refused.response.status).toBe(401);
    expect(refused.response.headers.get('content-type')).toMatch(/^application\/problem\+json/);
    expect(refused.error).toMatchObject({ type: '/problems/unauthorized', status: 401 });

    const jobAnswer = await orrery.POST('/v1/jobs', {
      body: { name: 'nightly-sync', description: 'pushes the day to the warehouse' },
    });
    expect(jobAnswer.response.status).toBe(201);
    if (!jobAnswer.data) throw new Error(JSON.stringify(jobAnswer.error));
    const job: Schema<'Job'> = jobAnswer.data;
    expect(job).toMatchObject({ name: 'nightly-sync', status: 'active', paused: null });
    const jobPath = { params: { path: { jobId: job.id } } };

    const endpointAnswer = await orrery.POST('/v1/jobs/{jobId}/endpoints', {
      ...jobPath,
      body: {
        name: 'warehouse hook',
        request: {
          method: 'POST',
          url: `${target.url}/hook`,
          headers: { 'x-signature': { value: SECRET, secret: true } },
          body: '{"hello":"world"}',
        },
        baseline: { kind: 'interval', everyMs: 3_600_000 },
      },
    });
    expect(endpointAnswer.response.status).toBe(201);
    if (!endpointAnswer.data) throw new Error(JSON.stringify(endpointAnswer.error));
    const endpoint: Schema<'Endpoint'> = endpointAnswer.data;
    expect(endpoint.jobId).toBe(job.id);
    expect(endpoint.config.request.headers['x-signature']).toEqual({ value: '***', secret: true });
    expect(endpoint.schedule.nextRunAt).not.toBeNull();
    const endpointPath = { params: { path: { endpointId: endpoint.id } } };

    const testRun = await orrery.POST('/v1/endpoints/{endpointId}/test-run', {
      ...endpointPath,
      body: {},
    });
    expect(testRun.response.status).toBe(200);
    expect(testRun.data).toMatchObject({ ok: true, status: 200, bodyTruncated: false });
    expect(testRun.data?.body).toMatchObject({ ok: true, path: '/hook' });
    expect(target.paths).toEqual(['/hook']);

    const hint = await orrery.POST('/v1/endpoints/{endpointId}/hints', {
      ...endpointPath,
      body: { kind: 'interval', intervalMs: 600_000, ttlMs: 3_600_000, reason: 'busy hour' },
    });
    expect(hint.response.status).toBe(201);
    if (hint.data?.kind !== 'interval') throw new Error(JSON.stringify(hint));
    expect(hint.data.intervalMs).toBe(600_000);
    expect(hint.data.source).toBe('user');

    const runNow = await orrery.POST('/v1/endpoints/{endpointId}/run', {
      ...endpointPath,
      body: { reason: 'after the deploy' },
    });
    expect(runNow.response.status).toBe(202);
    expect(runNow.data).toMatchObject({ kind: 'oneShot', reason: 'after the deploy' });

    const explained = await orrery.GET('/v1/endpoints/{endpointId}/explain', {
      params: { path: { endpointId: endpoint.id }, query: { recent: 5 } },
    });
    expect(explained.response.status).toBe(200);
    if (!explained.data) throw new Error(JSON.stringify(explained.error));
    // Never run yet, so due from its registration, on the hint's cadence; both hints are inputs.
    expect(explained.data.next).toMatchObject({
      at: endpoint.registeredAt,
      reason: 'interval_hint',
    });
    expect(explained.data.inputs.intervalHint?.hintId).toBe(hint.data.hintId);
    expect(explained.data.inputs.oneShotHint?.hintId).toBe(runNow.data?.hintId);
    expect(explained.data.hints.interval).toMatchObject({ reason: 'busy hour', live: true });
    expect(explained.data.recentDecisions.hintEvents.map((e) => e.type)).toEqual([
      'HintProposed',
      'HintProposed',
    ]);

    const events = await orrery.GET('/v1/events', {
      params: { query: { endpointId: endpoint.id, limit: 100 } },
    });
    expect(events.response.status).toBe(200);
    const types = events.data?.items.map((event) => event.type) ?? [];
    expect(types).toEqual(expect.arrayContaining(['EndpointRegistered', 'HintProposed']));
    expect(JSON.stringify(events.data)).not.toContain(SECRET);

    // A job's pause holds every endpoint of the job: one event, on the job.
    const paused = await orrery.POST('/v1/jobs/{jobId}/pause', {
      ...jobPath,
      body: { reason: 'warehouse maintenance' },
    });
    expect(paused.response.status).toBe(200);
    expect(paused.data?.paused).toEqual({ until: null, reason: 'warehouse maintenance' });
    const whilePaused = await orrery.GET('/v1/endpoints/{endpointId}', endpointPath);
    expect(whilePaused.data?.job.paused).toEqual({ until: null, reason: 'warehouse maintenance' });
    expect(whilePaused.data?.paused).toBeNull();
    expect(whilePaused.data?.schedule).toEqual({
      nextRunAt: null,
      reason: 'job_paused_indefinitely',
    });

    const resumed = await orrery.POST('/v1/jobs/{jobId}/resume', {
      ...jobPath,
      body: { reason: 'done' },
    });
    expect(resumed.response.status).toBe(200);
    expect(resumed.data?.paused).toBeNull();
    const afterResume = await orrery.GET('/v1/endpoints/{endpointId}', endpointPath);
    expect(afterResume.data?.job.paused).toBeNull();
    expect(afterResume.data?.schedule.nextRunAt).not.toBeNull();

    await project();
    const runs = await orrery.GET('/v1/endpoints/{endpointId}/runs', endpointPath);
    expect(runs.response.status).toBe(200);
    expect(runs.data?.items).toEqual([
      expect.objectContaining({ id: testRun.data?.runId, test: true, httpStatus: 200 }),
    ]);
    const run = await orrery.GET('/v1/runs/{runId}', {
      params: { path: { runId: testRun.data?.runId ?? '' } },
    });
    expect(run.response.status).toBe(200);
    expect(run.data?.response?.body).toMatchObject({ ok: true, path: '/hook' });

    const archived = await orrery.DELETE('/v1/jobs/{jobId}', jobPath);
    expect(archived.response.status).toBe(200);
    expect(archived.data?.status).toBe('archived');
    const gone = await orrery.GET('/v1/endpoints/{endpointId}', endpointPath);
    expect(gone.data?.status).toBe('archived');
    const refusedRun = await orrery.POST('/v1/endpoints/{endpointId}/test-run', {
      ...endpointPath,
      body: {},
    });
    expect(refusedRun.response.status).toBe(409);
    expect(refusedRun.error).toMatchObject({ type: '/problems/conflict', status: 409 });
    expect(target.total()).toBe(1);

    await project();
    const listed = await orrery.GET('/v1/jobs', { params: { query: { status: 'archived' } } });
    expect(listed.data?.items.map((j) => j.id)).toEqual([job.id]);
  });
});
