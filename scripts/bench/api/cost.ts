/**
 * What one API read costs, independent of how loaded the machine is: CPU time of this process
 * and of the database's backends per request, and statements sent per request, for the reads
 * of the API phase, driven in-process (`app.inject`, 10 in flight) on a fresh database.
 * Throughput on a shared 2-core machine swings with other work; CPU per request does not.
 *
 *   DATABASE_URL=postgres://postgres@127.0.0.1:5432/postgres npx tsx scripts/bench/api/cost.ts
 *
 * COST_REQUESTS sets the requests measured per target (default 3000); COST_TARGETS, a
 * comma-separated list of paths, measures those instead of the API phase's reads.
 *
 * The database must run on this host (its backends' CPU is read from /proc).
 */
import { readFile } from 'node:fs/promises';
import { migrateDatabase } from '@orrery/event-store';
import { runToHead, schedulingMigrations, SchedulingProjection } from '@orrery/scheduling';
import pg from 'pg';
import pino from 'pino';
import { startApi } from '../commands/api.js';
import { createBenchDatabase } from '../infra.js';
import { seed } from './phase.js';
import { statFields } from '../../lib/proc-stat.js';

const REQUESTS = Number(process.env['COST_REQUESTS'] ?? 3_000);
const IN_FLIGHT = 10;
const TARGETS = process.env['COST_TARGETS']?.split(',') ?? [
  '/v1/jobs/job-0000',
  '/v1/jobs',
  '/v1/endpoints/ep-0001',
  '/v1/endpoints/ep-0001/explain',
];

// Counts what every pg client of the process sends (pools, the LISTEN connection).
let statements = 0;
const query = pg.Client.prototype.query;
pg.Client.prototype.query = function (this: pg.Client, ...args: unknown[]) {
  statements += 1;
  return (query as (...a: unknown[]) => unknown).apply(this, args);
} as typeof query;

const backendTicks = async (client: pg.Client, database: string): Promise<number> => {
  const { rows } = await client.query<{ pid: number }>(
    'select pid from pg_stat_activity where datname = $1 and pid <> pg_backend_pid()',
    [database],
  );
  let ticks = 0;
  for (const { pid } of rows) {
    const stat = await readFile(`/proc/${pid}/stat`, 'utf8').catch(() => '');
    const fields = statFields(stat);
    ticks += Number(fields[11] ?? 0) + Number(fields[12] ?? 0); // utime, stime
  }
  return ticks;
};

const adminUrl = process.env['DATABASE_URL'];
if (!adminUrl) throw new Error('set DATABASE_URL (a server on this host)');
const database = await createBenchDatabase(adminUrl, 'api_cost');
await migrateDatabase(database.url, undefined, schedulingMigrations);
const api = await startApi(database.url);
const probe = new pg.Client({ connectionString: database.url });
try {
  await probe.connect();
  await seed(api, 100, 50);
  const { db, store } = api.deps;
  const log = pino({ level: 'warn' });
  await runToHead(new SchedulingProjection({ db, store }), { store, db, log, batchSize: 5_000 });
  const drive = async (path: string, n: number) => {
    let next = 0;
    const worker = async () => {
      while (next++ < n) {
        const answer = await api.call('GET', path);
        if (answer.status !== 200) throw new Error(`${path} answered ${answer.status}`);
      }
    };
    await Promise.all(Array.from({ length: IN_FLIGHT }, worker));
  };
  console.log('target                          node µs/req  postgres µs/req  statements/req');
  for (const path of TARGETS) {
    await drive(path, 500);
    const ticks = await backendTicks(probe, database.name);
    const sent = statements;
    const cpu = process.cpuUsage();
    await drive(path, REQUESTS);
    const used = process.cpuUsage(cpu);
    const perRequest = (statements - sent - 1) / REQUESTS; // less the probe's own query
    const pgMicros = (((await backendTicks(probe, database.name)) - ticks) * 10_000) / REQUESTS;
    console.log(
      `${path.padEnd(32)}${((used.user + used.system) / REQUESTS).toFixed(0).padStart(11)}` +
        `${pgMicros.toFixed(0).padStart(17)}${perRequest.toFixed(2).padStart(16)}`,
    );
  }
} finally {
  await probe.end();
  await api.close();
  await database.drop();
}
