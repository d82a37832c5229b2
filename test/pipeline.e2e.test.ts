import type { EventStore } from '@orrery/domain';
import { createPostgresEventStore, migrateDatabase } from '@orrery/event-store';
import { createSchedulingDb, schedulingMigrations, type SchedulingDb } from '@orrery/scheduling';
import {
  deleteKeysWithPrefix,
  describeWithRedis,
  redisUrl,
  startTargetServer,
  uniquePrefix,
  useTestDatabase,
  waitFor,
  type TargetServer,
} from '@orrery/testkit';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { SLOW_MS, planFleet, registrations } from './support/endpoint-fleet.js';
import {
  doubleDispatches,
  projectionDrift,
  responseCountProblems,
  runsTableProblems,
  slotShortfalls,
  unansweredRuns,
  unexplainedDeliveries,
} from './support/pipeline-checks.js';
import { indexRuns, quantile, readWholeLog } from './support/run-log.js';
import { ServiceGroup, type ServiceProcess } from './support/service-process.js';

const db = useTestDatabase();

const ENDPOINTS = 300;
/** How long dispatch runs (at least; longer only if the killed executor's runs are slow to return). */
const WINDOW_MS = 8_000;
const KILL_AFTER_MS = 4_000;
/** Lease = timeoutMs (1 s) + this: a killed executor's runs are re-dispatched 2.5 s after dispatch. */
const LEASE_MARGIN_MS = 1_500;
/**
 * Share of its slots each endpoint must run. Two cores host Postgres, Redis,
 * six service processes and the test; when an endpoint's cycle (dispatch,
 * call, record, project) outlasts its interval the governor coalesces missed
 * slots by design (no catch-up burst), and the window's last slot may be cut
 * by the stop. 70 % still fails for an endpoint that is stuck or starved.
 */
const MIN_SHARE = 0.7;

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

describeWithRedis('the distributed pipeline: 1 projection, 2 dispatchers, 3 executors', () => {
  const prefix = uniquePrefix('pipeline-e2e');
  const services = new ServiceGroup();
  const fleet = planFleet(ENDPOINTS);
  const byPath = new Map(fleet.map((endpoint) => [`/${endpoint.id}`, endpoint]));
  let slowCallsInFlight = 0;
  let target: TargetServer | undefined;
  let store: EventStore | undefined;
  let sdb: SchedulingDb | undefined;
  let projection: ServiceProcess;
  let dispatchers: ServiceProcess[] = [];
  let executors: ServiceProcess[] = [];

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
    await migrateDatabase(db().url, undefined, schedulingMigrations);
    store = createPostgresEventStore({ connectionString: db().url, maxConnections: 2 });
    sdb = createSchedulingDb({ connectionString: db().url, max: 2 });
    const env = {
      DATABASE_URL: db().url,
      REDIS_URL: redisUrl(),
      QUEUE_PREFIX: prefix,
      LOG_LEVEL: 'info', // for the ready message; the output is shown when the test fails
      MIGRATE: 'false',
    };
    projection = services.start({ service: 'projection', label: 'projection', env });
    dispatchers = [1, 2].map((n) =>
      services.start({
        service: 'dispatcher',
        label: `dispatcher-${n}`,
        env: { ...env, LEASE_MARGIN_MS: String(LEASE_MARGIN_MS), DISPATCHER_ID: `dispatcher-${n}` },
      }),
    );
    executors = [1, 2, 3].map((n) =>
      services.start({
        service: 'executor',
        label: `executor-${n}`,
        env: {
          ...env,
          EXECUTOR_CONCURRENCY: '32',
          ALLOW_LOOPBACK: 'true',
          EXECUTOR_ID: `executor-${n}`,
        },
      }),
    );
    await Promise.all(services.all.map((service) => service.ready));
  });

  afterAll(async () => {
    await services.stopAll(5_000);
    await store?.close();
    await sdb?.destroy();
    await target?.close();
    await deleteKeysWithPrefix(prefix);
  });

  it('runs each slot once, records each run once through a killed executor, and projects the log exactly', async ({
    onTestFailed,
  }) => {
    onTestFailed(() => console.error(services.report()));
    if (!store || !sdb || !target) throw new Error('beforeAll did not finish');
    // All at once, in one transaction: every slot boundary is a burst (the harder case).
    const started = Date.now();
    await store.appendMany(registrations(fleet, target.url, started));

    // Mid-window, while the target holds slow calls, the first executor dies outright.
    await waitFor(
      'mid-window with calls in flight at the target',
      () => (Date.now() - started >= KILL_AFTER_MS && slowCallsInFlight >= 3 ? true : undefined),
      { timeoutMs: KILL_AFTER_MS + 10_000, intervalMs: 5 },
    );
    const victim = executors[0];
    if (!victim) throw new Error('no executor');
    const killedAt = Date.now();
    victim.kill('SIGKILL');
    expect((await victim.stopped).signal).toBe('SIGKILL');
    const deadAt = new Date();

    // Its runs come back when their leases lapse; dispatch must still be on for that.
    await sleepUntil(started + WINDOW_MS);
    await waitFor(
      "every run dispatched before the kill to be recorded (the victim's re-dispatched)",
      async () => ((await unansweredRuns(sdb!, deadAt)) === 0 ? true : undefined),
      { timeoutMs: 20_000, intervalMs: 200 },
    );
    const windowEnd = Date.now();
    const dispatcherExits = await Promise.all(dispatchers.map((d) => d.stop(10_000)));
    expect(dispatcherExits).toEqual(dispatchers.map(() => ({ code: 0, signal: null })));

    await waitFor(
      'every dispatched run to be recorded',
      async () => ((await unansweredRuns(sdb!)) === 0 ? true : undefined),
      { timeoutMs: 20_000, intervalMs: 200 },
    );
    const head = await store.headPosition();
    await waitFor(
      'the projection to reach the head of the log',
      async () => {
        const row = await sdb!
          .selectFrom('projection_checkpoints')
          .select('position')
          .where('name', '=', 'scheduling')
          .executeTakeFirst();
        return (row?.position ?? 0) >= head ? true : undefined;
      },
      { timeoutMs: 20_000, intervalMs: 100 },
    );
    expect(await store.headPosition()).toBe(head); // nothing writes any more

    const log = indexRuns(await readWholeLog(store));
    expectNone('endpoints short of slots', slotShortfalls(fleet, log, windowEnd, MIN_SHARE)); // (a)
    expectNone('double dispatches', doubleDispatches(log)); // (b)
    expectNone('unexplained deliveries', unexplainedDeliveries(target.hits, log, killedAt)); // (c)
    expectNone('runs without exactly one response', responseCountProblems(log)); // (d)
    const ids = fleet.map((endpoint) => endpoint.id);
    expectNone('schedule rows unlike a fold', await projectionDrift(sdb, store, ids)); // (e)
    expectNone('runs rows unlike the log', await runsTableProblems(sdb, log)); // (f)

    const redispatched = [...log.runs.values()].filter((run) => run.dispatches.length > 1);
    const afterKill = redispatched.filter((run) =>
      run.dispatches.some((d) => d.data.attempt > 1 && Date.parse(d.data.dispatchedAt) > killedAt),
    );
    const lateness = (await sdb.selectFrom('runs').select('lateness_ms').execute()).map(
      (row) => row.lateness_ms,
    );
    const byDispatcher = new Map<string, number>();
    for (const d of [...log.runs.values()].flatMap((run) => run.dispatches)) {
      byDispatcher.set(d.metadata.actor.id, (byDispatcher.get(d.metadata.actor.id) ?? 0) + 1);
    }
    const twice = [...target.hits.values()].filter((n) => n > 1).length;
    const failed = [...log.runs.values()].filter((run) => run.responses[0]?.data.ok === false);
    const ms = (q: number) => `${quantile(lateness, q)} ms`;
    console.log(
      [
        `pipeline e2e: ${log.runs.size} runs of ${ENDPOINTS} endpoints in a ${windowEnd - started} ms` +
          ` window (${log.events.length} events; ${failed.length} runs failed, by design)`,
        `  re-dispatched runs: ${redispatched.length} (${afterKill.length} after the kill);` +
          ` keys the target saw more than once: ${twice}`,
        `  dispatch lateness p50 ${ms(0.5)}, p95 ${ms(0.95)}, max ${ms(1)}`,
        `  dispatches per dispatcher: ${JSON.stringify(Object.fromEntries(byDispatcher))}`,
        `  warn/error lines: ${services.all.map((s) => `${s.label} ${s.problems().length}`).join(', ')}`,
        `  test body ${Date.now() - started} ms`,
      ].join('\n'),
    );

    // The kill happened with calls in flight: some of its runs must have come back.
    expect(afterKill.length).toBeGreaterThan(0);
    // The survivors stop cleanly too.
    const survivors = [projection, ...executors.slice(1)];
    const survivorExits = await Promise.all(survivors.map((s) => s.stop(10_000)));
    expect(survivorExits).toEqual(survivors.map(() => ({ code: 0, signal: null })));
  });
});
