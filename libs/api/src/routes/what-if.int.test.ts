import { endpointStream } from '@orrery/domain';
import { InProcessQueue } from '@orrery/queue';
import { startRuntime, type Runtime } from '@orrery/scheduling';
import { startTargetServer, waitFor, type TargetServer } from '@orrery/testkit';
import pino from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { useApiHarness } from '../test-support/api-harness.js';

const api = useApiHarness();
let target: TargetServer;
let runtime: Runtime;
/** The recorded window: a few seconds of the real runtime, after its first runs. */
let window: { from: string; to: string };

const endpoint = (id: string, extra: Record<string, unknown>) => ({
  id,
  name: id,
  request: { url: `${target.url}/${id}` },
  ...extra,
});

beforeAll(async () => {
  // orders reports a new order on every call: pack runs after each (a cross-job cascade).
  target = await startTargetServer({
    respond: (request, n) => (request.path === '/orders' ? { new: 1, batch_id: `b${n}` } : {}),
  });
  runtime = await startRuntime({
    connectionString: api().databaseUrl,
    queue: new InProcessQueue(),
    log: pino({ level: 'silent' }),
    roles: ['projection', 'dispatcher', 'executor'],
    executor: { http: { allowLoopback: true } },
  });
  const { request, keys } = api();
  const create = async (key: string, job: string, body: Record<string, unknown>) => {
    await request('POST', '/v1/jobs', { key, body: { id: job, name: job } });
    const created = await request('POST', `/v1/jobs/${job}/endpoints`, { key, body });
    expect(created.status).toBe(201);
  };
  await create(
    keys.t1,
    'shop',
    endpoint('orders', { baseline: { kind: 'interval', everyMs: 800 } }),
  );
  await create(
    keys.t1,
    'fulfil',
    endpoint('pack', {
      baseline: { kind: 'none' },
      dependsOn: [{ upstream: 'orders', name: 'orders', condition: 'body.new > 0' }],
    }),
  );
  await create(
    keys.t2,
    'other',
    endpoint('secret', { baseline: { kind: 'interval', everyMs: 60_000 } }),
  );
  const started = Date.now();
  window = {
    from: new Date(started + 1_500).toISOString(),
    to: new Date(started + 5_500).toISOString(),
  };
  // Until every orders run due up to a second after the window has answered and its response
  // has cascaded to pack: the what-if re-runs each of those cascades, so the log must hold them
  // all, however far the cascade processor lags (a pack run due after the window, the condition
  // this once waited for, could be the cascade of an earlier response than the window's last).
  const settled = Date.parse(window.to) + 1_000;
  await waitFor(
    "the window's orders runs answered and cascaded",
    async () => {
      const orders = await runtime.store.readStream(endpointStream('t1', 'orders'));
      const slots = orders.flatMap((e) =>
        e.type === 'RunDispatched' && e.data.attempt === 1
          ? [{ runId: e.data.runId, at: Date.parse(e.data.scheduledFor) }]
          : [],
      );
      if (!slots.some((run) => run.at > settled)) return undefined;
      const answered = new Set(
        orders.flatMap((e) => (e.type === 'ResponseRecorded' ? [e.data.runId] : [])),
      );
      const pack = await runtime.store.readStream(endpointStream('t1', 'pack'));
      const cascaded = new Set(
        pack.flatMap((e) =>
          e.type === 'CascadeTriggered' ? e.data.inputs.map((input) => input.response.runId) : [],
        ),
      );
      const due = slots.filter((run) => run.at <= settled);
      return due.every((run) => answered.has(run.runId) && cascaded.has(run.runId))
        ? true
        : undefined;
    },
    { timeoutMs: 20_000 },
  );
}, 30_000);

afterAll(async () => {
  await runtime?.stop();
  await target?.close();
});

describe('POST /v1/what-if over a log the real runtime wrote', () => {
  const whatIf = (body: Record<string, unknown>, key?: string) =>
    api().request('POST', '/v1/what-if', { body: { ...window, ...body }, ...(key ? { key } : {}) });

  it('re-runs the window unchanged: every recorded run, no difference, nothing appended', async () => {
    const head = await runtime.store.headPosition();
    const answer = await whatIf({ endpoints: ['orders', 'pack'], toleranceMs: 300 });
    expect(answer.status).toBe(200);
    const [orders, pack] = answer.body.endpoints;
    // The lists, not only the totals, so a failure shows which run differed and why.
    type Lists = Record<'moved' | 'appeared' | 'vanished', { items: unknown[] }>;
    const differences = answer.body.endpoints.map((e: Lists) => [
      e.moved.items,
      e.appeared.items,
      e.vanished.items,
    ]);
    if (differences.flat(2).length > 0) {
      // What a failure needs to be explained, printed with it: the window and the log around it
      // (this is how a cascade fired just before `from` and recorded just after it was found).
      const streams = ['orders', 'pack'].map((id) => endpointStream('t1', id));
      const events = (await runtime.store.readAll({ after: 0, limit: 10_000 }))
        .filter((e) => streams.includes(e.streamId))
        .map(
          (e) => `${e.position} ${e.recordedAt} ${e.streamId} ${e.type} ${JSON.stringify(e.data)}`,
        );
      console.log(`what-if window ${JSON.stringify(window)}; pack: ${JSON.stringify(pack)}`);
      console.log(events.join('\n'));
    }
    expect(differences).toEqual([
      [[], [], []],
      [[], [], []],
    ]);
    expect(answer.body.totals).toMatchObject({ moved: 0, appeared: 0, vanished: 0 });
    expect(orders).toMatchObject({ endpointId: 'orders', jobId: 'shop' });
    expect(orders.recorded.runs).toBeGreaterThanOrEqual(4);
    expect(orders.unchanged).toBe(orders.recorded.runs);
    expect(pack).toMatchObject({ endpointId: 'pack', jobId: 'fulfil' });
    expect(pack.recorded.runs).toBeGreaterThanOrEqual(3);
    expect(pack.unchanged).toBe(pack.recorded.runs);
    expect(answer.body.summary).toMatch(/no difference$/);
    // Read-only: the log did not move (the runtime may have appended meanwhile; not for us).
    const appended = (await runtime.store.readAll({ after: head })).filter(
      (e) => e.metadata.actor.id === 'what-if',
    );
    expect(appended).toEqual([]);
  });

  it('what if orders ran twice as often: runs appear, and so do the cascades they feed', async () => {
    const answer = await whatIf({
      job: 'shop',
      changes: { endpoints: { orders: { baseline: { kind: 'interval', everyMs: 400 } } } },
    });
    expect(answer.status).toBe(200);
    const [orders] = answer.body.endpoints;
    expect(orders.appeared.count).toBeGreaterThanOrEqual(3);
    // Every run that appeared answers with a recorded response reused; so may a run the
    // comparison pairs as moved (a recorded run late past the tolerance, on a busy machine).
    expect(orders.responses.reused).toBeGreaterThanOrEqual(orders.appeared.count);
    expect(orders.responses.assumed).toBe(0);
    expect(orders.responses.recorded + orders.responses.reused).toBe(orders.simulated.runs);
    // pack is outside the scope (another job): not simulated, not reported.
    expect(answer.body.endpoints).toHaveLength(1);
    const both = await whatIf({
      endpoints: ['orders', 'pack'],
      changes: { endpoints: { orders: { baseline: { kind: 'interval', everyMs: 400 } } } },
    });
    expect(both.body.endpoints[1].appeared.count).toBeGreaterThanOrEqual(3);
  });

  it('what if the edge were removed: the recorded cascades vanish', async () => {
    const answer = await whatIf({
      endpoints: ['pack'],
      changes: { edges: { remove: ['orders.pack'] } },
    });
    expect(answer.status).toBe(200);
    const [pack] = answer.body.endpoints;
    expect(pack.simulated.runs).toBe(0);
    expect(pack.vanished.count).toBe(pack.recorded.runs);
  });

  it("is tenant-scoped: another tenant's endpoints and jobs answer 404", async () => {
    expect((await whatIf({ endpoints: ['secret'] })).status).toBe(404);
    expect((await whatIf({ job: 'other' })).status).toBe(404);
    expect((await whatIf({ endpoints: ['orders'] }, api().keys.t2)).status).toBe(404);
    const upstream = await whatIf({
      endpoints: ['pack'],
      changes: { edges: { add: [{ downstream: 'pack', upstream: 'secret' }] } },
    });
    expect(upstream.status).toBe(404);
  });

  it('answers 400 for a malformed request and 422 for a window out of range', async () => {
    const bad = await whatIf({ job: 'shop', endpoints: ['orders'] });
    expect(bad.status).toBe(400);
    expect(bad.body.type).toBe('/problems/validation');
    const reversed = await whatIf({ job: 'shop', from: window.to, to: window.from });
    expect(reversed).toMatchObject({ status: 422, body: { type: '/problems/unprocessable' } });
    const long = await whatIf({ job: 'shop', from: '2025-01-01T00:00:00Z' });
    expect(long.status).toBe(422);
    const future = await whatIf({ job: 'shop', to: new Date(Date.now() + 60_000).toISOString() });
    expect(future.status).toBe(422);
    const invalid = await whatIf({
      job: 'shop',
      changes: { endpoints: { orders: { minIntervalMs: 5_000, maxIntervalMs: 1_000 } } },
    });
    expect(invalid).toMatchObject({ status: 400 });
    expect(invalid.body.errors[0].field).toBe('body.changes.endpoints.orders.maxIntervalMs');
    const notSimulated = await whatIf({
      job: 'shop',
      changes: { endpoints: { pack: { jitterMs: 1 } } },
    });
    expect(notSimulated.status).toBe(422);
  });
});
