/**
 * Command and explain latency against stream length: one endpoint with a long stream
 * (BENCH_LONG_STREAM events, 1M by default) and one with a short one (100), in one database,
 * through a real API (`app.inject` on buildApp). Requests alternate between the two, so
 * whatever else the machine does weighs on both alike; the long/short ratio of p99 shows
 * whether cost grows with the stream.
 */
import { endpointStream } from '@orrery/domain';
import { migrateDatabase } from '@orrery/event-store';
import { ProcessorHost, schedulingMigrations, SchedulingProjection } from '@orrery/scheduling';
import pino from 'pino';
import type { BenchConfig } from '../config.js';
import { createBenchDatabase } from '../infra.js';
import type { Progress } from '../progress.js';
import { summarize, type Summary } from '../stats.js';
import { startApi, type BenchApi } from './api.js';
import { growStream } from './stream.js';

export const COMMAND_TARGET_P99_MS = 20;

/** Events explain reads for its recent decisions (libs/api's RECENT_WINDOW; not exported from the package). */
export const RECENT_WINDOW = 200;

export interface StreamLatency {
  readonly events: number;
  /** Pause, Resume and ProposeHint in turn, through the API (ms). */
  readonly command: Summary;
  /** GET …/explain (ms). */
  readonly explain: Summary;
  /** Answers that were not 2xx. */
  readonly failures: number;
}

export interface CommandsResult {
  readonly long: StreamLatency;
  readonly short: StreamLatency;
  readonly buildSeconds: number;
  readonly catchUpSeconds: number;
}

const COMMANDS = [
  { url: 'pause', body: { until: null, reason: 'bench' } },
  { url: 'resume', body: { reason: 'bench' } },
  { url: 'hints', body: { kind: 'interval', intervalMs: 3_600_000, ttlMs: 600_000 } },
] as const;

async function register(api: BenchApi, endpointId: string): Promise<void> {
  const { status } = await api.call('POST', '/v1/jobs/bench/endpoints', {
    id: endpointId,
    name: endpointId,
    // Nothing dispatches in this phase: the URL is never called.
    request: { url: 'https://example.com/never-called' },
    baseline: { kind: 'interval', everyMs: 86_400_000 },
  });
  if (status !== 201) throw new Error(`registering ${endpointId} answered ${status}`);
}

export async function runCommands(
  cfg: BenchConfig,
  adminUrl: string,
  progress: Progress,
  signal: AbortSignal,
): Promise<CommandsResult> {
  const database = await createBenchDatabase(adminUrl, 'commands');
  let api: BenchApi | undefined;
  let projection: ProcessorHost | undefined;
  try {
    await migrateDatabase(database.url, undefined, schedulingMigrations);
    api = await startApi(database.url);
    const jobs = await api.call('POST', '/v1/jobs', { id: 'bench', name: 'bench' });
    if (jobs.status !== 201) throw new Error(`creating the job answered ${jobs.status}`);
    await register(api, 'long');
    await register(api, 'short');
    progress.log(`  database ${database.name}: growing two streams…`);
    const { deps, tenantId } = api;
    const built = await growStream(deps.store, tenantId, 'long', cfg.longStream, progress, signal);
    await growStream(deps.store, tenantId, 'short', 100, progress, signal);
    // The projection catches up once (the snapshot commands start from), then follows.
    const log = pino({ level: process.env['BENCH_LOG_LEVEL'] ?? 'warn' }, pino.destination(2));
    projection = new ProcessorHost({
      processor: new SchedulingProjection({ db: deps.db, store: deps.store }),
      store: deps.store,
      db: deps.db,
      log,
      connectionString: null,
      batchSize: 5_000,
      pollIntervalMs: 100,
    });
    const catchingUp = performance.now();
    const head = await deps.store.headPosition();
    let shown = 0;
    while (projection.position < head) {
      await projection.tick();
      if (performance.now() - shown > 1_000) {
        shown = performance.now();
        progress.update(`projection at ${projection.position.toLocaleString('en')}`);
      }
    }
    progress.done();
    const catchUpSeconds = (performance.now() - catchingUp) / 1000;
    await projection.start();
    progress.log(
      `  built in ${(built.ms / 1000).toFixed(1)} s, projected in ${catchUpSeconds.toFixed(1)} s; timing ${cfg.commands} commands and ${cfg.commands} explains per stream…`,
    );
    const samples = {
      long: { command: [] as number[], explain: [] as number[], failures: 0 },
      short: { command: [] as number[], explain: [] as number[], failures: 0 },
    };
    // The first rounds warm the code paths up (JIT, pools, statement plans) and are not kept.
    const warmUp = 12;
    for (let i = -warmUp; i < cfg.commands && !signal.aborted; i++) {
      const command = COMMANDS[(i + warmUp) % COMMANDS.length] ?? COMMANDS[0];
      for (const id of ['long', 'short'] as const) {
        const c = await api.call('POST', `/v1/endpoints/${id}/${command.url}`, command.body);
        const e = await api.call('GET', `/v1/endpoints/${id}/explain`);
        if (i < 0) continue;
        samples[id].command.push(c.ms);
        samples[id].explain.push(e.ms);
        samples[id].failures += (c.status < 300 ? 0 : 1) + (e.status < 300 ? 0 : 1);
      }
      if (i % 20 === 19) progress.update(`timed ${i + 1} / ${cfg.commands}`);
    }
    progress.done();
    const versions = await Promise.all(
      ['long', 'short'].map(async (id) => {
        const tail = await deps.store.readStream(endpointStream(tenantId, id), {
          fromVersion: id === 'long' ? cfg.longStream : 1,
        });
        return tail.at(-1)?.streamVersion ?? 0;
      }),
    );
    const latency = (id: 'long' | 'short', events: number): StreamLatency => ({
      events,
      command: summarize(samples[id].command),
      explain: summarize(samples[id].explain),
      failures: samples[id].failures,
    });
    return {
      long: latency('long', versions[0] ?? 0),
      short: latency('short', versions[1] ?? 0),
      buildSeconds: built.ms / 1000,
      catchUpSeconds,
    };
  } finally {
    await projection?.stop();
    await api?.close();
    await database.drop();
  }
}
