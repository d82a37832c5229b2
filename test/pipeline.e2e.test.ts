import type { EventStore } from '@orrery/domain';
import { createPostgresEventStore, migrateDatabase } from '@orrery/event-store';
import { freePort } from '@orrery/postgres';
import { createSchedulingDb, schedulingMigrations, type SchedulingDb } from '@orrery/scheduling';
import {
  deleteKeysWithPrefix,
  describeWithRedis,
  redisUrl,
  serviceRoleUrl,
  startTargetServer,
  uniquePrefix,
  useTestDatabase,
  waitFor,
  type TargetServer,
} from '@orrery/testkit';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { TenantApi } from './support/cascade-world.js';
import { composeTopology, localEnv } from './support/compose-topology.js';
import { SLOW_MS, fleetPipeline, planFleet } from './support/endpoint-fleet.js';
import { FLEET_TENANT } from './support/fleet-ids.js';
import {
  doubleDispatches,
  lapsedRuns,
  owedSlots,
  projectionDrift,
  responseCountProblems,
  runsTableProblems,
  unansweredRuns,
  unexplainedDeliveries,
} from './support/pipeline-checks.js';
import { indexRuns, quantile, readWholeLog } from './support/run-log.js';
import { ServiceGroup, type ServiceName, type ServiceProcess } from './support/service-process.js';
import { slotReplayProblems } from './support/slot-replay.js';
import { waitUntilNone } from './support/wait-until-none.js';

const db = useTestDatabase();

const ENDPOINTS = 300;
/**
 * The cut-off, from registration: every slot due before it must run exactly
 * once. Dispatch goes on after it only until none of those is left.
 */
const WINDOW_MS = 8_000;
const KILL_AFTER_MS = 4_000;
/** Lease = timeoutMs (1 s) + this: a killed executor's runs are re-dispatched 2.5 s after dispatch. */
const LEASE_MARGIN_MS = 1_500;
/**
 * Bounds of the waits for an outcome: services ready (six `tsx` processes
 * starting at once took 40-50 s with both cores busy), then the drain, the
 * last responses, the projection, each stop. Each wait returns as soon as its
 * outcome holds, so the bounds are generous for a machine whose cores are busy
 * with other work; no check depends on how fast anything ran.
 */
const READY_MS = 120_000;
const WAIT_MS = 120_000;

/**
 * Fails (softly: every check still runs and reports) listing the first
 * offenders and how many there are.
 */
function expectNone(what: string, problems: readonly string[]): void {
  const shown =
    problems.length === 0 ? [] : [`${problems.length} ${what}`, ...problems.slice(0, 15)];
  expect.soft(shown, what).toEqual([]);
}

const sleepUntil = (at: number) =>
  new Promise((resolve) => setTimeout(resolve, Math.max(0, at - Date.now())));

/** Settings of this test on top of the compose environment, per service. */
const TEST_ENV: Record<ServiceName, (n: number) => Record<string, string>> = {
  api: () => ({ HOST: '127.0.0.1', ALLOW_LOOPBACK: 'true', RATE_LIMIT_PER_MINUTE: '100000' }),
  // The projection dispatches cascade runs with the dispatchers' margin.
  projection: () => ({ LEASE_MARGIN_MS: String(LEASE_MARGIN_MS) }),
  planner: () => ({}),
  dispatcher: (n) => ({
    LEASE_MARGIN_MS: String(LEASE_MARGIN_MS),
    DISPATCHER_ID: `dispatcher-${n}`,
  }),
  executor: (n) => ({ ALLOW_LOOPBACK: 'true', EXECUTOR_ID: `executor-${n}` }),
};
const ADMIN_KEY = 'pipeline-e2e-admin-key-0123456789';

// docker-compose.yml's topology — api, projection, planner, 2 dispatchers, 3 executors — as local
// processes, each with its compose environment (the database, Redis and queue prefix replaced,
// OpenTelemetry off), connecting as a member of orrery_service as the compose services do.
describeWithRedis('the distributed pipeline: the compose topology as local processes', () => {
  const prefix = uniquePrefix('pipeline-e2e');
  const services = new ServiceGroup();
  const fleet = planFleet(ENDPOINTS);
  const byPath = new Map(fleet.map((endpoint) => [`/${endpoint.id}`, endpoint]));
  const topology = composeTopology();
  let slowCallsInFlight = 0;
  let target: TargetServer | undefined;
  let store: EventStore | undefined;
  let sdb: SchedulingDb | undefined;
  let tenant: TenantApi | undefined;
  const started = new Map<ServiceName, ServiceProcess[]>();
  const processesOf = (service: ServiceName) => started.get(service) ?? [];
  let readyMs = 0;
  let startReplica:
    ((service: ServiceName, n: number, label: string) => ServiceProcess) | undefined;

  beforeAll(async () => {
    target = await startTargetServer({
      status: (path) => (byPath.get(path)?.failing ? 500 : 200),
      delayMs: (path) => {
        if (!byPath.get(path)?.slow) return 0;
        slowCallsInFlight++;
        setTimeout(() => slowCallsInFlight--, SLOW_MS);
        return SLOW_MS;
      },
    });
    await migrateDatabase(db().url, undefined, schedulingMigrations); // as the owner: `migrate`
    store = createPostgresEventStore({ connectionString: db().url, maxConnections: 2 });
    sdb = createSchedulingDb({ connectionString: db().url, max: 2 });
    const local = {
      databaseUrl: await serviceRoleUrl(db()),
      redisUrl: redisUrl(),
      queuePrefix: prefix,
    };
    const port = await freePort();
    startReplica = (service, n, label) => {
      const { env } = topology.find((entry) => entry.service === service) ?? {};
      if (!env) throw new Error(`${service} is not in the topology`);
      const replica = services.start({
        service,
        label,
        readyTimeoutMs: READY_MS,
        ...(service === 'planner' ? { readyMessage: 'planner started' } : {}),
        env: {
          ...localEnv(env, local),
          ...TEST_ENV[service](n),
          ...(service === 'api' ? { PORT: String(port), ORRERY_ADMIN_KEY: ADMIN_KEY } : {}),
        },
      });
      started.set(service, [...processesOf(service), replica]);
      return replica;
    };
    const spawnedAt = Date.now();
    for (const { service, replicas } of topology) {
      for (let i = 1; i <= replicas; i++) {
        startReplica(service, i, replicas > 1 ? `${service}-${i}` : service);
      }
    }
    await Promise.all(services.all.map((service) => service.ready));
    readyMs = Date.now() - spawnedAt;

    const admin = new TenantApi(`http://127.0.0.1:${port}`, ADMIN_KEY);
    await admin.ok('POST', '/v1/admin/tenants', { id: FLEET_TENANT, name: 'Fleet' });
    const key = await admin.ok('POST', `/v1/admin/tenants/${FLEET_TENANT}/keys`, { name: 'e2e' });
    tenant = new TenantApi(admin.baseUrl, key.key);
  }, READY_MS + 60_000);

  afterAll(async () => {
    await services.stopAll(5_000);
    await store?.close();
    await sdb?.destroy();
    await target?.close();
    await deleteKeysWithPrefix(prefix);
  });

  /**
   * Waits until every dispatched run is recorded. A live executor records the
   * runs it holds, except one it took up after its lease lapsed (its cores
   * busy with other work): it skips that run for a dispatcher to send again.
   * With the dispatchers stopped, nothing would, so while such runs are left a
   * dispatcher comes back until they are recorded, then stops again. Returns
   * how many times one came back.
   */
  async function recordEveryRunOut(): Promise<number> {
    const unanswered = () => unansweredRuns(sdb!);
    for (let comebacks = 0; ; comebacks++) {
      await waitUntilNone(
        'every dispatched run to be recorded or its lease to lapse',
        async () => {
          const lapsed = new Set(await lapsedRuns(sdb!, new Date()));
          return (await unanswered()).filter((run) => !lapsed.has(run));
        },
        { timeoutMs: WAIT_MS },
      );
      const lapsed = await lapsedRuns(sdb!, new Date());
      if (lapsed.length === 0) return comebacks;
      if (comebacks === 5) throw new Error(`runs still lapsed after 5 comebacks: ${lapsed}`);
      const n = processesOf('dispatcher').length + 1;
      const dispatcher = startReplica!('dispatcher', n, `dispatcher-${n}`);
      await dispatcher.ready;
      await waitUntilNone(
        'the lapsed runs to be dispatched again and recorded',
        async () => {
          const out = new Set(await unanswered());
          return lapsed.filter((run) => out.has(run));
        },
        { timeoutMs: WAIT_MS },
      );
      expect(await dispatcher.stop(WAIT_MS)).toEqual({ code: 0, signal: null });
    }
  }

  it(
    'runs each slot due once, records each run once through a killed executor, and projects the log exactly',
    async ({ onTestFailed }) => {
      onTestFailed(() => console.error(services.report()));
      if (!store || !sdb || !target || !tenant) throw new Error('beforeAll did not finish');
      const ids = fleet.map((endpoint) => endpoint.id);
      // The topology is the compose file's.
      expect(topology.map(({ service, replicas }) => `${service}×${replicas}`)).toEqual([
        'api×1',
        'projection×1',
        'planner×1',
        'dispatcher×2',
        'executor×3',
      ]);
      const dispatchers = processesOf('dispatcher');
      const executors = processesOf('executor');
      // Through the API, all at once: one pipeline, one atomic append, so every slot boundary
      // is a burst (the harder case).
      const started = Date.now();
      const applied = await tenant.ok(
        'PUT',
        '/v1/pipelines/fleet',
        fleetPipeline(fleet, target.url),
      );
      expect(JSON.stringify(applied)).toContain(ids[0]);
      const cutoff = started + WINDOW_MS;

      // Mid-window, while the target holds slow calls, the first executor dies outright.
      await waitFor(
        'mid-window with calls in flight at the target',
        () => (Date.now() - started >= KILL_AFTER_MS && slowCallsInFlight >= 3 ? true : undefined),
        { timeoutMs: WAIT_MS, intervalMs: 5 },
      );
      const victim = executors[0];
      if (!victim) throw new Error('no executor');
      const killedAt = Date.now();
      victim.kill('SIGKILL');
      expect((await victim.stopped).signal).toBe('SIGKILL');
      const deadAt = new Date();

      // The drain. Dispatch stays on past the cut-off until no endpoint owes a
      // slot due before it (dispatched and recorded), and every run the dead
      // executor held has come back through its lapsed lease: how long that
      // takes depends on the machine, what it leaves behind does not.
      await sleepUntil(cutoff);
      await waitUntilNone(
        "every slot due before the cut-off run, and the killed executor's runs re-dispatched",
        async () => [
          ...(await owedSlots(sdb!, ids, cutoff)),
          ...(await unansweredRuns(sdb!, deadAt)).map(
            (run) => `${run}: held by the killed executor`,
          ),
        ],
        { timeoutMs: WAIT_MS },
      );
      const drainedAt = Date.now();
      // Then no new work. Stopping the dispatchers, rather than pausing the
      // endpoints, adds nothing to the log and leaves the governor's answers as
      // they were: the replay below sees exactly the dispatches that happened.
      const dispatcherExits = await Promise.all(dispatchers.map((d) => d.stop(WAIT_MS)));
      expect(dispatcherExits).toEqual(dispatchers.map(() => ({ code: 0, signal: null })));
      const comebacks = await recordEveryRunOut();
      // The planner appends its sessions after the responses it analyses: stopped now, it
      // leaves the log still.
      const plannerExits = await Promise.all(processesOf('planner').map((p) => p.stop(WAIT_MS)));
      expect(plannerExits).toEqual([{ code: 0, signal: null }]);
      const head = await store.headPosition();
      await waitFor(
        'the projection to reach the head of the log',
        async () => {
          const row = await sdb!
            .selectFrom('processor_checkpoints')
            .select('position')
            .where('name', '=', 'scheduling')
            .executeTakeFirst();
          return (row?.position ?? 0) >= head ? true : undefined;
        },
        { timeoutMs: WAIT_MS, intervalMs: 100 },
      );
      expect(await store.headPosition()).toBe(head); // nothing writes any more

      const log = indexRuns(await readWholeLog(store));
      expectNone('slots not run once as the governor says', slotReplayProblems(ids, log, cutoff)); // (a)
      expectNone('double dispatches', doubleDispatches(log)); // (b)
      expectNone('unexplained deliveries', unexplainedDeliveries(target.hits, log)); // (c)
      expectNone('runs without exactly one response', responseCountProblems(log)); // (d)
      expectNone('schedule rows unlike a fold', await projectionDrift(sdb, store, ids)); // (e)
      expectNone('runs rows unlike the log', await runsTableProblems(sdb, log)); // (f)

      const redispatched = [...log.runs.values()].filter((run) => run.dispatches.length > 1);
      const afterKill = redispatched.filter((run) =>
        run.dispatches.some(
          (d) => d.data.attempt > 1 && Date.parse(d.data.dispatchedAt) > killedAt,
        ),
      );
      const lateness = (await sdb.selectFrom('runs').select('lateness_ms').execute()).map(
        (row) => row.lateness_ms,
      );
      const byDispatcher = new Map<string, number>();
      for (const d of [...log.runs.values()].flatMap((run) => run.dispatches)) {
        byDispatcher.set(d.metadata.actor.id, (byDispatcher.get(d.metadata.actor.id) ?? 0) + 1);
      }
      const byExecutor = new Map<string, number>();
      for (const r of [...log.runs.values()].flatMap((run) => run.responses)) {
        byExecutor.set(r.metadata.actor.id, (byExecutor.get(r.metadata.actor.id) ?? 0) + 1);
      }
      const twice = [...target.hits.values()].filter((n) => n > 1).length;
      const failed = [...log.runs.values()].filter((run) => run.responses[0]?.data.ok === false);
      const ms = (q: number) => `${quantile(lateness, q)} ms`;
      console.log(
        [
          `pipeline e2e: ${log.runs.size} runs of ${ENDPOINTS} endpoints, cut-off at ${WINDOW_MS} ms,` +
            ` drained at ${drainedAt - started} ms (${log.events.length} events;` +
            ` ${failed.length} runs failed, by design)`,
          `  re-dispatched runs: ${redispatched.length} (${afterKill.length} after the kill);` +
            ` a dispatcher came back ${comebacks} times for runs skipped as stale;` +
            ` keys the target saw more than once: ${twice}`,
          `  dispatch lateness p50 ${ms(0.5)}, p95 ${ms(0.95)}, max ${ms(1)}`,
          `  dispatches per dispatcher: ${JSON.stringify(Object.fromEntries(byDispatcher))}`,
          `  responses per executor: ${JSON.stringify(Object.fromEntries(byExecutor))}`,
          `  warn/error lines: ${services.all.map((s) => `${s.label} ${s.problems().length}`).join(', ')}`,
          `  services ready in ${readyMs} ms; test body ${Date.now() - started} ms`,
        ].join('\n'),
      );

      // The kill happened with calls in flight: some of its runs must have come back.
      expect(afterKill.length).toBeGreaterThan(0);
      // The executors shared the calls: the survivors both recorded runs after the kill.
      const executorIds = [...byExecutor.keys()].sort();
      expect(executorIds.filter((id) => id !== 'executor-1')).toEqual(['executor-2', 'executor-3']);
      // The survivors stop cleanly too.
      const survivors = [
        ...processesOf('api'),
        ...processesOf('projection'),
        ...executors.slice(1),
      ];
      const survivorExits = await Promise.all(survivors.map((s) => s.stop(WAIT_MS)));
      expect(survivorExits).toEqual(survivors.map(() => ({ code: 0, signal: null })));
    },
    6 * WAIT_MS,
  );
});
