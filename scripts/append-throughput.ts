/**
 * Measures event-store append throughput on a fresh database.
 *
 *   npx tsx scripts/append-throughput.ts            # embedded Postgres in a temp dir
 *   DATABASE_URL=postgres://... npx tsx scripts/append-throughput.ts
 *   BENCH_EVENTS=20000 ...                          # events per scenario (default 5000, max 100000)
 *
 * With DATABASE_URL it creates (and drops) a database `orrery_bench_*` on that
 * server. Nothing is written inside the repository.
 */
import { randomBytes } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { makeEvent, type AppendRequest } from '@orrery/domain';
import {
  createPostgresEventStore,
  migrateDatabase,
  type PostgresEventStore,
} from '@orrery/event-store';
import { startEmbeddedPostgres } from '@orrery/postgres';

const EVENTS = Math.min(
  Math.max(Number(process.env['BENCH_EVENTS'] ?? 5000) || 5000, 100),
  100_000,
);
const metadata = { tenantId: 't1', actor: { kind: 'system', id: 'bench' } } as const;
const event = (i: number) => makeEvent('Paused', { until: null, reason: `bench ${i}` }, metadata);

interface Row {
  scenario: string;
  events: number;
  ms: number;
}

/** Workers each own their streams and append one event at a time with exact expected versions. */
async function singleAppends(
  store: PostgresEventStore,
  label: string,
  concurrency: number,
  count = EVENTS,
) {
  const perWorker = Math.ceil(count / concurrency);
  let done = 0;
  const started = performance.now();
  await Promise.all(
    Array.from({ length: concurrency }, async (_, w) => {
      const versions = new Map<string, number>();
      for (let i = 0; i < perWorker && done < count; i += 1) {
        const stream = `${label}-w${w}-s${i % 50}`;
        const result = await store.append(stream, [event(i)], {
          expectedVersion: versions.get(stream) ?? 0,
        });
        versions.set(stream, result.streamVersion);
        done += 1;
        if (done % 1000 === 0) progress(label, done);
      }
    }),
  );
  return { scenario: label, events: done, ms: performance.now() - started };
}

/** appendMany batches of `batch` events: 5 events for each of batch/5 streams. */
async function batchedAppends(store: PostgresEventStore, label: string, batch: number) {
  const streams = batch / 5;
  const versions = new Map<string, number>();
  let done = 0;
  const started = performance.now();
  while (done < EVENTS) {
    const requests: AppendRequest[] = Array.from({ length: streams }, (_, s) => {
      const streamId = `${label}-s${s}`;
      return {
        streamId,
        expectedVersion: versions.get(streamId) ?? 0,
        events: Array.from({ length: 5 }, (_, i) => event(done + s * 5 + i)),
      };
    });
    for (const result of await store.appendMany(requests)) {
      versions.set(result.streamId, result.streamVersion);
    }
    done += batch;
    if (done % 1000 === 0) progress(label, done);
  }
  return { scenario: label, events: done, ms: performance.now() - started };
}

async function readBack(store: PostgresEventStore): Promise<Row> {
  const started = performance.now();
  let after = 0;
  let events = 0;
  for (;;) {
    const page = await store.readAll({ after, limit: 1000 });
    const last = page.at(-1);
    if (!last) break;
    events += page.length;
    after = last.position;
  }
  return {
    scenario: 'readAll, pages of 1000 (validated)',
    events,
    ms: performance.now() - started,
  };
}

function progress(label: string, done: number) {
  process.stdout.write(`  ${label}: ${done}/${EVENTS}\r`);
}

async function withAdmin<T>(url: string, fn: (client: pg.Client) => Promise<T>): Promise<T> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    return await fn(client);
  } finally {
    await client.end();
  }
}

async function main() {
  const cleanup: (() => Promise<void>)[] = [];
  try {
    let adminUrl = process.env['DATABASE_URL'];
    if (!adminUrl) {
      const dataDir = await mkdtemp(join(tmpdir(), 'orrery-bench-pg-'));
      cleanup.unshift(() => rm(dataDir, { recursive: true, force: true }));
      console.log('DATABASE_URL unset: starting embedded PostgreSQL…');
      const server = await startEmbeddedPostgres({ dataDir, persistent: false });
      cleanup.unshift(() => server.stop());
      adminUrl = server.url;
    }
    const name = `orrery_bench_${randomBytes(4).toString('hex')}`;
    await withAdmin(adminUrl, (c) => c.query(`CREATE DATABASE ${name}`));
    cleanup.unshift(async () => {
      await withAdmin(adminUrl, (c) => c.query(`DROP DATABASE ${name} WITH (FORCE)`));
    });
    const url = new URL(adminUrl);
    url.pathname = `/${name}`;
    console.log(`database ${name} on ${url.host}`);
    await migrateDatabase(url.toString(), (line) => console.log(`  ${line}`));

    const store = createPostgresEventStore({
      connectionString: url.toString(),
      maxConnections: 16,
    });
    cleanup.unshift(() => store.close());
    const rows: Row[] = [];
    const run = async (label: string, scenario: () => Promise<Row>) => {
      console.log(`${label}…`);
      rows.push({ ...(await scenario()), scenario: label });
    };
    console.log('warm-up…');
    await singleAppends(store, 'warmup', 4, 500);
    await run('single appends, sequential', () => singleAppends(store, 'single-seq', 1));
    await run('single appends, concurrency 8', () => singleAppends(store, 'single-c8', 8));
    await run('appendMany of 100 (20 streams)', () => batchedAppends(store, 'batch-100', 100));
    await run('appendMany of 500 (100 streams)', () => batchedAppends(store, 'batch-500', 500));
    rows.push(await readBack(store));

    console.log(
      `\n${'scenario'.padEnd(40)} ${'events'.padStart(7)} ${'ms'.padStart(8)} ${'events/s'.padStart(9)}`,
    );
    for (const row of rows) {
      const rate = Math.round((row.events / row.ms) * 1000);
      console.log(
        `${row.scenario.padEnd(40)} ${String(row.events).padStart(7)} ${row.ms.toFixed(0).padStart(8)} ${String(rate).padStart(9)}`,
      );
    }
  } finally {
    for (const step of cleanup) await step().catch((error: unknown) => console.error(error));
  }
}

await main().catch((error: unknown) => {
  console.error(error);
  process.exitCode = 1;
});
