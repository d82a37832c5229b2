import type { EventStore } from '@orrery/domain';
import { createPostgresEventStore, migrateDatabase } from '@orrery/event-store';
import { freePort } from '@orrery/postgres';
import { createSchedulingDb, schedulingMigrations, type SchedulingDb } from '@orrery/scheduling';
import { SecretBox } from '@orrery/secrets';
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
import { afterAll, beforeAll, expect, inject, it } from 'vitest';
import { cutOffDatabase, type DatabaseOutage } from './support/database-outage.js';
import { planFleet, registrations } from './support/endpoint-fleet.js';
import { problemsBetween } from './support/log-summary.js';
import { outageReport } from './support/outage-report.js';
import {
  doubleDispatches,
  owedSlots,
  projectionDrift,
  responseCountProblems,
  runsTableProblems,
  unansweredRuns,
  unexplainedDeliveries,
} from './support/pipeline-checks.js';
import { ReadinessWatch } from './support/readiness-watch.js';
import { indexRuns, readWholeLog } from './support/run-log.js';
import { ServiceGroup, type ServiceProcess } from './support/service-process.js';
import { slotReplayProblems } from './support/slot-replay.js';
import { waitUntilNone } from './support/wait-until-none.js';
import { workSince } from './support/work-since.js';

const db = useTestDatabase();

/** Endpoints on 0.5–3 s intervals and a per-second cron: about 55 runs a second. */
const ENDPOINTS = 60;
/** How long the database refuses every connection of the services (the outage). */
const OUTAGE_MS = 30_000;
/** How long the target holds a slow endpoint's call (its timeout is 1 s): calls are still in
 * flight when the cut lands, so their responses wait for the database. */
const SLOW_CALL_MS = 700;
/** Lease = timeoutMs (1 s) + this: runs in flight at the cut lapse during the outage. */
const LEASE_MARGIN_MS = 1_500;
/** After every service works again, slots due this much longer must run once too. */
const AFTER_RESUME_MS = 3_000;
/**
 * Bounds of the waits for an outcome (services ready; load flowing; every service working
 * again after the outage; the drain; each stop). Each returns as soon as its outcome holds; no
 * check depends on speed.
 */
const READY_MS = 120_000;
const WAIT_MS = 120_000;

function expectNone(what: string, problems: readonly string[]): void {
  const shown =
    problems.length === 0 ? [] : [`${problems.length} ${what}`, ...problems.slice(0, 15)];
  expect.soft(shown, what).toEqual([]);
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, Math.max(0, ms)));

/** Processes that have exited, with how. */
const exited = (services: readonly ServiceProcess[]) =>
  services.flatMap((s) => {
    const status = s.exitStatus();
    return status ? [`${s.label} exited ${JSON.stringify(status)}`] : [];
  });

describeWithRedis('a 30 s database outage under load: every service rides it out', () => {
  const prefix = uniquePrefix('outage-e2e');
  const services = new ServiceGroup();
  const fleet = planFleet(ENDPOINTS);
  const byPath = new Map(fleet.map((endpoint) => [`/${endpoint.id}`, endpoint]));
  let slowCallsInFlight = 0;
  let target: TargetServer | undefined;
  let store: EventStore | undefined;
  let sdb: SchedulingDb | undefined;
  let outage: DatabaseOutage | undefined;
  let apiUrl = '';
  let dispatchers: ServiceProcess[] = [];
  let executors: ServiceProcess[] = [];

  beforeAll(async () => {
    target = await startTargetServer({
      status: (path) => (byPath.get(path)?.failing ? 500 : 200),
      delayMs: (path) => {
        if (!byPath.get(path)?.slow) return 0;
        slowCallsInFlight++;
        setTimeout(() => slowCallsInFlight--, SLOW_CALL_MS);
        return SLOW_CALL_MS;
      },
    });
    await migrateDatabase(db().url, undefined, schedulingMigrations);
    store = createPostgresEventStore({ connectionString: db().url, maxConnections: 2 });
    sdb = createSchedulingDb({ connectionString: db().url, max: 2 });
    const port = await freePort();
    apiUrl = `http://127.0.0.1:${port}`;
    const env = {
      DATABASE_URL: await serviceRoleUrl(db()), // as in production: a member of orrery_service
      REDIS_URL: redisUrl(),
      QUEUE_PREFIX: prefix,
      LOG_LEVEL: 'info',
      MIGRATE: 'false',
    };
    const common = { readyTimeoutMs: READY_MS, maxLines: 5_000, maxLineChars: 20_000 };
    services.start({ ...common, service: 'projection', label: 'projection', env });
    dispatchers = [1, 2].map((n) =>
      services.start({
        ...common,
        service: 'dispatcher',
        label: `dispatcher-${n}`,
        env: { ...env, LEASE_MARGIN_MS: String(LEASE_MARGIN_MS), DISPATCHER_ID: `dispatcher-${n}` },
      }),
    );
    executors = [1, 2].map((n) =>
      services.start({
        ...common,
        service: 'executor',
        label: `executor-${n}`,
        env: { ...env, ALLOW_LOOPBACK: 'true', EXECUTOR_ID: `executor-${n}` },
      }),
    );
    services.start({
      ...common,
      service: 'api',
      label: 'api',
      env: {
        ...env,
        PORT: String(port),
        HOST: '127.0.0.1',
        ORRERY_SECRET_KEY: SecretBox.generateKey(),
      },
    });
    await Promise.all(services.all.map((service) => service.ready));
  }, READY_MS + 60_000);

  afterAll(async () => {
    await outage?.restore(); // never leave the database closed, whatever failed
    await services.stopAll(5_000);
    await store?.close();
    await sdb?.destroy();
    await target?.close();
    await deleteKeysWithPrefix(prefix);
  });

  it(
    'keeps every process alive, answers 503 meanwhile, resumes by itself and runs each due slot once',
    async ({ onTestFailed }) => {
      onTestFailed(() => console.error(services.report()));
      if (!store || !sdb || !target) throw new Error('beforeAll did not finish');
      const ids = fleet.map((endpoint) => endpoint.id);
      const actors = [...dispatchers, ...executors].map((s) => s.label);
      const started = Date.now();
      await store.appendMany(registrations(fleet, target.url, started));

      // Under load: every dispatcher and executor has worked, and calls are in flight.
      await waitUntilNone(
        'every dispatcher and executor at work',
        async () => (await workSince(sdb!, 0, actors)).idle.map((actor) => `${actor}: no work yet`),
        { timeoutMs: WAIT_MS },
      );
      await waitFor('calls in flight at the target', () =>
        slowCallsInFlight >= 2 ? true : undefined,
      );
      expect((await ReadinessWatch.ask(apiUrl)).status).toBe(200);

      // The outage: connections refused, every backend of the database terminated.
      const cutStartedAt = Date.now();
      outage = await cutOffDatabase(inject('databaseUrl'), db().name);
      const cutAt = Date.now();
      const readiness = new ReadinessWatch(apiUrl);
      const deaths: string[] = [];
      while (Date.now() - cutAt < OUTAGE_MS) {
        deaths.push(...exited(services.all).filter((death) => !deaths.includes(death)));
        await sleep(500);
      }
      const answers = await readiness.stop();
      await outage.restore();
      const restoredAt = Date.now();
      expect(deaths, 'processes that died during the outage').toEqual([]);
      expect(outage.terminated).toBeGreaterThan(0);

      // While cut off, /readyz said so, every time.
      expect(answers.length).toBeGreaterThan(0);
      expect(
        answers.filter((a) => a.status !== 503 || a.detail !== 'database unreachable'),
      ).toEqual([]);

      // Back by itself: each dispatcher and executor works again, the projection handles new
      // events, the API is ready. Nothing was restarted.
      const headAtRestore = await store.headPosition();
      const backAfter = new Map<string, number>(); // service → ms from the restore to its first work
      await waitUntilNone(
        'every service at work again after the outage',
        async () => {
          const work = await workSince(sdb!, headAtRestore, actors);
          const ready = await ReadinessWatch.ask(apiUrl);
          const back = [
            ...actors.filter((actor) => !work.idle.includes(actor)),
            ...(work.projectedPast > headAtRestore ? ['projection'] : []),
            ...(ready.status === 200 ? ['api'] : []),
          ];
          for (const label of back)
            if (!backAfter.has(label)) backAfter.set(label, Date.now() - restoredAt);
          return [
            ...exited(services.all),
            ...services.all
              .filter((s) => !back.includes(s.label))
              .map((s) => `${s.label}: not back`),
          ];
        },
        { timeoutMs: WAIT_MS, intervalMs: 250 },
      );
      const resumedAt = Date.now();

      // The drain, as in the pipeline test: every slot due before the cut-off has run and is
      // recorded; then no new work, and every run out comes back.
      const cutoff = resumedAt + AFTER_RESUME_MS;
      await sleep(cutoff - Date.now());
      await waitUntilNone(
        'every slot due before the cut-off run and recorded',
        () => owedSlots(sdb!, ids, cutoff),
        { timeoutMs: WAIT_MS },
      );
      expect(exited(services.all), 'processes that died after the outage').toEqual([]);
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

      const log = indexRuns(await readWholeLog(store));
      expectNone('slots not run once as the governor says', slotReplayProblems(ids, log, cutoff));
      expectNone('double dispatches', doubleDispatches(log));
      expectNone('unexplained deliveries', unexplainedDeliveries(target.hits, log));
      expectNone('runs without exactly one response', responseCountProblems(log));
      expectNone('schedule rows unlike a fold', await projectionDrift(sdb, store, ids));
      expectNone('runs rows unlike the log', await runsTableProblems(sdb, log));
      // No failure went unhandled (the services log one if it did; see runService).
      expectNone(
        'stray failures',
        services.all.flatMap((s) =>
          s.lines().filter((line) => /unhandled rejection|uncaught exception/.test(line)),
        ),
      );
      // An outage is not bad data: no stream was set aside.
      const parked = await sdb.selectFrom('parked_streams').selectAll().execute();
      expectNone(
        'parked streams',
        parked.map((p) => `${p.processor} ${p.stream_id}: ${p.error}`),
      );

      // The premise: the cut reached the services that keep connections open (each logged it).
      // Executors hold none between appends, so they log only if a response was in hand.
      for (const service of services.all.filter(
        (s) => !['api', ...executors.map((e) => e.label)].includes(s.label),
      )) {
        expect
          .soft(problemsBetween(service.lines(), cutStartedAt, restoredAt), `${service.label} logs`)
          .not.toEqual([]);
      }
      console.log(
        outageReport({
          log,
          hits: target.hits,
          services: services.all,
          terminated: outage.terminated,
          cutStartedAt,
          cutAt,
          restoredAt,
          resumedAt,
          backAfter,
          headAtRestore,
          readiness: answers,
        }),
      );

      const survivors = services.all.filter((s) => !dispatchers.includes(s));
      const survivorExits = await Promise.all(survivors.map((s) => s.stop(WAIT_MS)));
      expect(survivorExits).toEqual(survivors.map(() => ({ code: 0, signal: null })));
    },
    OUTAGE_MS + 6 * WAIT_MS,
  );
});
