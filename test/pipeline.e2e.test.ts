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
  owedSlots,
  projectionDrift,
  responseCountProblems,
  runsTableProblems,
  unansweredRuns,
  unexplainedDeliveries,
} from './support/pipeline-checks.js';
import { indexRuns, quantile, readWholeLog } from './support/run-log.js';
import { ServiceGroup, type ServiceProcess } from './support/service-process.js';
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
  let readyMs = 0;

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
    const spawnedAt = Date.now();
    const readyTimeoutMs = READY_MS;
    projection = services.start({
      service: 'projection',
      label: 'projection',
      env,
      readyTimeoutMs,
    });
    dispatchers = [1, 2].map((n) =>
      services.start({
        service: 'dispatcher',
        label: `dispatcher-${n}`,
        readyTimeoutMs,
        env: { ...env, LEASE_MARGIN_MS: String(LEASE_MARGIN_MS), DISPATCHER_ID: `dispatcher-${n}` },
      }),
    );
    executors = [1, 2, 3].map((n) =>
      services.start({
        service: 'executor',
        label: `executor-${n}`,
        readyTimeoutMs,
        env: {
          ...env,
          EXECUTOR_CONCURRENCY: '32',
          ALLOW_LOOPBACK: 'true',
          EXECUTOR_ID: `executor-${n}`,
        },
      }),
    );
    await Promise.all(services.all.map((service) => service.ready));
    readyMs = Date.now() - spawnedAt;
  }, READY_MS + 60_000);

  afterAll(async () => {
    await services.stopAll(5_000);
    await store?.close();
    await sdb?.destroy();
    await target?.close();
    await deleteKeysWithPrefix(prefix);
  });

  it(
    'runs each slot due once, records each run once through a killed executor, and projects the log exactly',
    async ({ onTestFailed }) => {
      onTestFailed(() => console.error(services.report()));
      if (!store || !sdb || !target) throw new Error('beforeAll did not finish');
      const ids = fleet.map((endpoint) => endpoint.id);
      // All at once, in one transaction: every slot boundary is a burst (the harder case).
      const started = Date.now();
      await store.appendMany(registrations(fleet, target.url, started));
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
      // Every run still out is held by a live executor and needs no re-dispatch.
      const dispatcherExits = await Promise.all(dispatchers.map((d) => d.stop(WAIT_MS)));
      expect(dispatcherExits).toEqual(dispatchers.map(() => ({ code: 0, signal: null })));
      await waitUntilNone('every dispatched run to be recorded', () => unansweredRuns(sdb!), {
        timeoutMs: WAIT_MS,
      });
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
      const twice = [...target.hits.values()].filter((n) => n > 1).length;
      const failed = [...log.runs.values()].filter((run) => run.responses[0]?.data.ok === false);
      const ms = (q: number) => `${quantile(lateness, q)} ms`;
      console.log(
        [
          `pipeline e2e: ${log.runs.size} runs of ${ENDPOINTS} endpoints, cut-off at ${WINDOW_MS} ms,` +
            ` drained at ${drainedAt - started} ms (${log.events.length} events;` +
            ` ${failed.length} runs failed, by design)`,
          `  re-dispatched runs: ${redispatched.length} (${afterKill.length} after the kill);` +
            ` keys the target saw more than once: ${twice}`,
          `  dispatch lateness p50 ${ms(0.5)}, p95 ${ms(0.95)}, max ${ms(1)}`,
          `  dispatches per dispatcher: ${JSON.stringify(Object.fromEntries(byDispatcher))}`,
          `  warn/error lines: ${services.all.map((s) => `${s.label} ${s.problems().length}`).join(', ')}`,
          `  services ready in ${readyMs} ms; test body ${Date.now() - started} ms`,
        ].join('\n'),
      );

      // The kill happened with calls in flight: some of its runs must have come back.
      expect(afterKill.length).toBeGreaterThan(0);
      // The survivors stop cleanly too.
      const survivors = [projection, ...executors.slice(1)];
      const survivorExits = await Promise.all(survivors.map((s) => s.stop(WAIT_MS)));
      expect(survivorExits).toEqual(survivors.map(() => ({ code: 0, signal: null })));
    },
    6 * WAIT_MS,
  );
});
