/**
 * Writes a realistic event log, fast: tenants, jobs and endpoints (interval and cron schedules,
 * trigger-only downstreams, gated ones) and their history — runs and responses, cascades, skips
 * behind closed gates, planner and user hints with their outcomes, pauses, job pauses, a tenant
 * disabled for a while — every event decided by the real deciders and appended through the event
 * store in batches of 10 000. The same seed gives the same log.
 *
 *   npm run generate:events                           # 1 000 000 events into DATABASE_URL
 *   npm run generate:events -- --events 200000 --seed 7 --endpoints 2000
 *   npm run generate:events -- --into orrery_replay   # into a new database on that server
 *
 * The target log must be empty. Uses DATABASE_URL, or the embedded server of a running
 * `npm start`, or starts it (as the other tools do). Migrates the database first.
 */
import { parseArgs } from 'node:util';
import { createPostgresEventStore, migrateDatabase } from '@orrery/event-store';
import { schedulingMigrations } from '@orrery/scheduling';
import pg from 'pg';
import { generateEvents } from './bench/replay/generate.js';
import { DEFAULT_GENERATOR, type GeneratorOptions } from './bench/replay/world.js';
import { connectForTool } from './lib/connect.js';

const { values } = parseArgs({
  options: {
    events: { type: 'string', default: '1000000' },
    seed: { type: 'string', default: String(DEFAULT_GENERATOR.seed) },
    endpoints: { type: 'string', default: String(DEFAULT_GENERATOR.endpoints) },
    tenants: { type: 'string', default: String(DEFAULT_GENERATOR.tenants) },
    'job-size': { type: 'string', default: String(DEFAULT_GENERATOR.jobSize) },
    into: { type: 'string' },
  },
});

function count(name: string, raw: string, min: number, max: number): number {
  const value = Number(raw.replace(/[_,]/g, ''));
  if (!Number.isInteger(value) || value < min || value > max) {
    throw new Error(`--${name} ${raw}: expected a whole number from ${min} to ${max}`);
  }
  return value;
}

const options: GeneratorOptions = {
  ...DEFAULT_GENERATOR,
  events: count('events', values.events, 1_000, 50_000_000),
  seed: count('seed', values.seed, 0, 2 ** 31 - 1),
  endpoints: count('endpoints', values.endpoints, 10, 1_000_000),
  tenants: count('tenants', values.tenants, 1, 1_000),
  jobSize: count('job-size', values['job-size'], 3, 1_000),
};

const { url: serverUrl, embedded } = await connectForTool();
let url = serverUrl;
if (values.into !== undefined) {
  if (!/^[a-z_][a-z0-9_]{0,62}$/.test(values.into))
    throw new Error(`--into ${values.into}: not a database name`);
  const admin = new pg.Client({ connectionString: serverUrl });
  await admin.connect();
  let exists = false;
  try {
    await admin.query(`create database ${values.into}`);
  } catch (error) {
    // 42P04 duplicate_database: a log is never generated on top of another one.
    if ((error as { code?: string }).code !== '42P04') throw error;
    exists = true;
  } finally {
    await admin.end();
  }
  if (exists) {
    console.error(
      `--into ${values.into}: that database already exists; drop it or choose another name`,
    );
    await embedded?.stop();
    process.exit(2);
  }
  const target = new URL(serverUrl);
  target.pathname = `/${values.into}`;
  url = target.toString();
}

const status = {
  update: (line: string) =>
    process.stdout.write(process.stdout.isTTY ? `\r\x1b[2K  ${line}` : `  ${line}\n`),
  done: () => process.stdout.isTTY && process.stdout.write('\n'),
};
await migrateDatabase(url, undefined, schedulingMigrations);
const store = createPostgresEventStore({ connectionString: url, maxConnections: 2 });
try {
  console.log(
    `generating ${options.events.toLocaleString('en')} events: ${options.endpoints} endpoints in jobs of ${options.jobSize}, ${options.tenants} tenants, seed ${options.seed}`,
  );
  const result = await generateEvents(store, options, status);
  console.log(
    `${result.events.toLocaleString('en')} events in ${result.seconds.toFixed(1)} s (${Math.round(result.eventsPerSecond).toLocaleString('en')}/s): ${result.jobs} jobs, ${result.edges} edges, ${result.historyHours.toFixed(1)} h of history`,
  );
  for (const [type, n] of Object.entries(result.byType)) console.log(`  ${type.padEnd(22)} ${n}`);
  if (values.into !== undefined) console.log(`\nDATABASE_URL=${url}`);
} finally {
  await store.close();
  await embedded?.stop();
}
