/**
 * API reads under load: the real API (buildApp over createApiDeps) listening on loopback on a
 * fresh database with BENCH_API_JOBS jobs and BENCH_API_ENDPOINTS endpoints (read models caught
 * up, as a running projection keeps them), and a bare Fastify route in the same process. For each
 * target, autocannon (in a worker thread) saturates it with BENCH_API_CONNECTIONS connections,
 * then an open loop offers BENCH_API_RATE req/s (open-loop.ts); the server's main thread is
 * CPU-profiled during the saturated window. Nothing dispatches: no runtime, no Redis.
 */
import { migrateDatabase } from '@orrery/event-store';
import { runToHead, schedulingMigrations, SchedulingProjection } from '@orrery/scheduling';
import { availableParallelism } from 'node:os';
import Fastify from 'fastify';
import pg from 'pg';
import pino from 'pino';
import { API_METRICS, buildApp } from '@orrery/api';
import { MemoryTelemetry } from '@orrery/testkit';
import { startApi, type BenchApi } from '../commands/api.js';
import type { BenchConfig } from '../config.js';
import { createBenchDatabase } from '../infra.js';
import { CpuMeter, type CpuReport } from '../cpu.js';
import { postgresPids } from '../orrery/sampling.js';
import { CpuProfiler } from '../profile.js';
import type { Progress } from '../progress.js';
import type { Summary } from '../stats.js';
import { startLoadGenerator, type LoadGenerator, type LoadJob } from './load.js';
import { API_GOALS, type ApiResult, type ApiTargetName, type ApiTargetResult } from './result.js';

const JOB = 'job-0000';

/** The references: no Orrery code serves them (no key, no profile, not a goal's read). */
const bareTarget = (name: ApiTargetName) => name === 'bare' || name === 'bare-row';

/** Creates `jobs` jobs and `endpoints` endpoints in the first job, through the API. */
export async function seed(api: BenchApi, jobs: number, endpoints: number): Promise<void> {
  for (let i = 0; i < jobs; i++) {
    const id = `job-${String(i).padStart(4, '0')}`;
    const answer = await api.call('POST', '/v1/jobs', { id, name: `Job ${i}` });
    if (answer.status !== 201) throw new Error(`creating ${id} answered ${answer.status}`);
  }
  for (let i = 0; i < endpoints; i++) {
    const id = `ep-${String(i).padStart(4, '0')}`;
    const answer = await api.call('POST', `/v1/jobs/${JOB}/endpoints`, {
      id,
      name: id,
      // Nothing dispatches in this phase: the URL is never called.
      request: { url: 'https://example.com/never-called' },
      baseline: { kind: 'interval', everyMs: 3_600_000 },
    });
    if (answer.status !== 201) throw new Error(`registering ${id} answered ${answer.status}`);
  }
}

/** µs of the main thread's and of Postgres's CPU per request answered in a window. */
function cpuPerRequest(cpu: CpuReport, requests: number): ApiTargetResult['cpuPerRequest'] {
  const usPer = (pctOfCore: number) => ((pctOfCore / 100) * cpu.wallMs * 1000) / requests;
  return {
    serverUs: usPer(cpu.mainLoopUtilisation * 100),
    postgresUs: cpu.postgresPct === null ? null : usPer(cpu.postgresPct),
  };
}

export async function runApiReads(
  cfg: BenchConfig,
  adminUrl: string,
  progress: Progress,
  signal: AbortSignal,
): Promise<ApiResult> {
  const database = await createBenchDatabase(adminUrl, 'api');
  let api: BenchApi | undefined;
  const bare = Fastify({ logger: false });
  let rowPool: pg.Pool | undefined;
  let load: LoadGenerator | undefined;
  let uncached: Awaited<ReturnType<typeof buildApp>> | undefined;
  // The API's own request durations (both API instances record here; the bare route does not).
  const telemetry = new MemoryTelemetry();
  try {
    await migrateDatabase(database.url, undefined, schedulingMigrations);
    api = await startApi(database.url, telemetry.instrumentation);
    progress.log(
      `  database ${database.name}: ${cfg.apiJobs} jobs, ${cfg.apiEndpoints} endpoints…`,
    );
    await seed(api, cfg.apiJobs, cfg.apiEndpoints);
    const log = pino({ level: process.env['BENCH_LOG_LEVEL'] ?? 'warn' }, pino.destination(2));
    const { deps } = api;
    await runToHead(new SchedulingProjection({ db: deps.db, store: deps.store }), {
      store: deps.store,
      db: deps.db,
      log,
      batchSize: 5_000,
    });
    const apiUrl = await api.app.listen({ host: '127.0.0.1', port: 0 });
    // The same API without a connection string: no LISTEN, so every request folds its tenant's
    // stream to check its key — the key check as it was before tenants were kept in memory.
    const { connectionString: _unused, ...noListen } = deps;
    uncached = await buildApp(noListen);
    const uncachedUrl = await uncached.listen({ host: '127.0.0.1', port: 0 });
    bare.get('/bare', async () => ({ ok: true }));
    // The bare route plus the read at the core of a job's GET: one prepared statement for the
    // job's row, on a pg pool of its own — Fastify, pg and Postgres without Orrery's hooks, checks
    // and view. What any read that asks Postgres can reach here, in this run.
    const pool = (rowPool = new pg.Pool({ connectionString: database.url, max: 8 }));
    bare.get('/bare-row', async () => {
      const { rows } = await pool.query<{ state: unknown }>({
        name: 'bench-bare-row',
        text: 'select state from jobs where tenant_id = $1 and job_id = $2',
        values: [api?.tenantId, JOB],
      });
      return rows[0]?.state ?? null;
    });
    const bareUrl = await bare.listen({ host: '127.0.0.1', port: 0 });
    load = await startLoadGenerator();
    const auth = { authorization: api.authorization };
    const targets: { name: ApiTargetName; label: string; url: string; path: string }[] = [
      { name: 'bare', label: 'bare Fastify route', url: bareUrl, path: '/bare' },
      {
        name: 'bare-row',
        label: "bare route + the job's row (pg)",
        url: bareUrl,
        path: '/bare-row',
      },
      { name: 'job', label: 'GET /v1/jobs/{id}', url: apiUrl, path: `/v1/jobs/${JOB}` },
      {
        name: 'job-uncached',
        label: 'GET /v1/jobs/{id}, tenant from the log',
        url: uncachedUrl,
        path: `/v1/jobs/${JOB}`,
      },
      { name: 'jobs', label: 'GET /v1/jobs (page of 50)', url: apiUrl, path: '/v1/jobs' },
      {
        name: 'endpoint',
        label: 'GET /v1/endpoints/{id}',
        url: apiUrl,
        path: '/v1/endpoints/ep-0001',
      },
      {
        name: 'explain',
        label: 'GET /v1/endpoints/{id}/explain',
        url: apiUrl,
        path: '/v1/endpoints/ep-0001/explain',
      },
    ];
    const results: ApiTargetResult[] = [];
    let bareRate: number | null = null;
    for (const target of targets) {
      if (signal.aborted) break;
      const job = (seconds: number, rate: number | null): LoadJob => ({
        url: `${target.url}${target.path}`,
        connections: cfg.apiConnections,
        seconds,
        headers: bareTarget(target.name) ? {} : auth,
        rate,
      });
      progress.update(`${target.label}: warming up`);
      if (cfg.warmupSeconds > 0) await load.run(job(cfg.warmupSeconds, null));
      progress.update(`${target.label}: saturated, ${cfg.apiConnections} connections`);
      const profiler = bareTarget(target.name) ? null : new CpuProfiler();
      await profiler?.start();
      const saturated = await load.run(job(cfg.apiSeconds, null));
      const profile = (await profiler?.stop()) ?? null;
      progress.update(`${target.label}: ${cfg.apiRate} req/s offered`);
      await telemetry.window();
      const meter = new CpuMeter(availableParallelism());
      await meter.start();
      const fixedRate = await load.run(job(cfg.apiSeconds, cfg.apiRate));
      const cpu = await meter.stop(await postgresPids(deps).catch(() => undefined));
      const server = bareTarget(target.name) ? null : serverTimes(await telemetry.window());
      if (target.name === 'bare') bareRate = saturated.perSecond;
      const result: ApiTargetResult = {
        name: target.name,
        label: target.label,
        path: target.path,
        saturated,
        fixedRate,
        server,
        cpuPerRequest: cpuPerRequest(cpu, fixedRate.requests),
        shareOfBare: bareRate ? saturated.perSecond / bareRate : null,
        profile,
      };
      results.push(result);
      progress.log(
        `  ${target.label}: ${saturated.perSecond.toFixed(0)} req/s saturated (p99 ${saturated.latencyMs.p99} ms); at ${cfg.apiRate} req/s p50 ${fixedRate.latencyMs.p50} ms, p99 ${fixedRate.latencyMs.p99} ms (server p99 ${server?.p99.toFixed(2) ?? '–'} ms, send lag p99 ${fixedRate.sendLagMs?.p99 ?? '–'} ms)${saturated.non2xx + fixedRate.non2xx > 0 ? ` · ${saturated.non2xx + fixedRate.non2xx} non-2xx` : ''}`,
      );
    }
    progress.done();
    // The goals are about the API as it runs: the uncached comparison is not one of its reads.
    const reads = results.filter((r) => !bareTarget(r.name) && r.name !== 'job-uncached');
    const byP99 = [...reads].sort((a, b) => b.fixedRate.latencyMs.p99 - a.fixedRate.latencyMs.p99);
    const byShare = [...reads].sort((a, b) => (a.shareOfBare ?? 0) - (b.shareOfBare ?? 0));
    const p99 = byP99[0]?.fixedRate.latencyMs.p99 ?? Number.NaN;
    const share = byShare[0]?.shareOfBare ?? null;
    return {
      jobs: cfg.apiJobs,
      endpoints: cfg.apiEndpoints,
      connections: cfg.apiConnections,
      seconds: cfg.apiSeconds,
      warmupSeconds: cfg.warmupSeconds,
      rate: cfg.apiRate,
      targets: results,
      worst: {
        p99Ms: p99,
        p99Of: byP99[0]?.name ?? 'job',
        shareOfBare: share,
        shareOf: byShare[0]?.name ?? 'job',
      },
      goals: {
        p99: { target: API_GOALS.p99Ms, reached: p99, met: p99 <= API_GOALS.p99Ms },
        shareOfBare: {
          target: API_GOALS.shareOfBare,
          reached: share,
          met: share === null ? null : share >= API_GOALS.shareOfBare,
        },
      },
    };
  } finally {
    await load?.close();
    await bare.close();
    await rowPool?.end();
    await uncached?.close();
    await api?.close();
    await database.drop();
  }
}

/** The API's own account of a window's answers (`http.server.request.duration`), in ms. */
function serverTimes(seen: Awaited<ReturnType<MemoryTelemetry['window']>>): Summary | null {
  const s = seen.histogram(API_METRICS.requestDuration);
  if (s.count === 0) return null;
  const ms = (seconds: number) => Math.round(seconds * 100_000) / 100; // two decimals
  return {
    count: s.count,
    mean: ms(s.mean),
    min: ms(s.min),
    p50: ms(s.p50),
    p95: ms(s.p95),
    p99: ms(s.p99),
    max: ms(s.max),
  };
}
