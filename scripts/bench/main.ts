/**
 * `npm run bench`: Orrery's pipeline against a raw BullMQ + undici baseline, on this machine, in
 * one run. The phases, what each measures, its goal and its environment variables are listed in
 * scripts/bench/README.md (the table at its top and the knobs at its end); config.ts reads them.
 *
 * Run some phases only with `npm run bench -- --only pipeline` (or BENCH_PHASES=pipeline,commands).
 * Each Orrery phase gets a fresh database (dropped at the end) and a unique BullMQ prefix (keys
 * deleted); everything stays on 127.0.0.1. Results are printed and written as JSON under
 * bench/results/.
 *
 * Exit codes: 0 done (targets met or not), 1 failed, 2 Redis unreachable (for a phase needing it).
 */
import { availableParallelism, cpus, loadavg } from 'node:os';
import { fileURLToPath } from 'node:url';
import { redisAvailable } from '@orrery/testkit';
import { runApiReads } from './api/phase.js';
import { runDistributed } from './distributed/phase.js';
import type { DistributedResult } from './distributed/result.js';
import { runSoak, type SoakResult } from './distributed/soak.js';
import { runScale, type ScaleResult } from './scale/phase.js';
import { runLog } from './log/phase.js';
import type { LogResult } from './log/result.js';
import type { ApiResult } from './api/result.js';
import { runBaseline, summarizeBaselines, type BaselineResult } from './baseline.js';
import { runPipelineApply } from './apply/phase.js';
import { runReplay } from './replay/phase.js';
import type { ReplayResult } from './replay/result.js';
import type { PipelineApplyResult } from './apply/result.js';
import { chainLoad, runCascades } from './cascades/phase.js';
import type { CascadesResult } from './cascades/result.js';
import { runCommands, type CommandsResult } from './commands/phase.js';
import { readConfig, REDIS_PHASES } from './config.js';
import { adminDatabaseUrl, Cleanup, serverVersion } from './infra.js';
import { PhaseMeters } from './meters.js';
import {
  runLateness,
  runThroughput,
  type LatenessResult,
  type ThroughputResult,
} from './orrery.js';
import { Progress } from './progress.js';
import { analyse, printResults, writeResults, type BenchResults } from './report.js';
import { sleep } from './time.js';
import { verdictOf } from './verdict.js';
import { startTarget } from './target.js';
import { runTracing } from './tracing/phase.js';
import type { TracingResult } from './tracing/result.js';

const RESULTS_DIR = fileURLToPath(new URL('../../bench/results/', import.meta.url));

function assertLoopback(url: string, what: string): void {
  const host = new URL(url).hostname;
  if (!['127.0.0.1', 'localhost', '::1', '[::1]'].includes(host)) {
    throw new Error(`${what} must be on this machine (127.0.0.1), got ${host}`);
  }
}

async function main(): Promise<number> {
  const cfg = readConfig();
  const startedAt = new Date().toISOString();
  const loadAtStart = loadavg();
  const progress = new Progress();
  const controller = new AbortController();
  const { signal } = controller;
  let interrupts = 0;
  const onSigint = () => {
    interrupts += 1;
    if (interrupts > 1) process.exit(130);
    console.log('\ninterrupted: stopping and cleaning up (Ctrl-C again to quit at once)…');
    controller.abort();
  };
  process.on('SIGINT', onSigint);

  assertLoopback(cfg.redisUrl, 'REDIS_URL');
  if (cfg.databaseUrl) assertLoopback(cfg.databaseUrl, 'DATABASE_URL');
  const needsRedis = REDIS_PHASES.some((phase) => cfg.phases.has(phase));
  if (needsRedis && !(await redisAvailable(cfg.redisUrl, 2_000))) {
    console.error(
      `Redis is unreachable at ${cfg.redisUrl}. The bench needs Redis for BullMQ: start one (e.g. redis-server) or set REDIS_URL.`,
    );
    return 2;
  }

  const cleanup = new Cleanup();
  try {
    const admin = await adminDatabaseUrl(cfg.databaseUrl, cleanup);
    const postgres = await serverVersion(admin.url);
    const target = await startTarget(cfg.target);
    cleanup.add('close the target', () => target.close());
    const runs =
      cfg.phases.size +
      (cfg.phases.has('baseline') && cfg.phases.has('throughput') ? cfg.baselineRuns - 1 : 0);
    const pipelinePhases = [...cfg.phases].filter(
      (p) =>
        p !== 'commands' && p !== 'pipeline' && p !== 'replay' && p !== 'tracing' && p !== 'api',
    ).length;
    const total =
      (runs - cfg.phases.size + pipelinePhases) * (cfg.warmupSeconds + cfg.seconds + 5) +
      // The lateness window opens its own warm-up after a first slot 2 s out.
      (cfg.phases.has('lateness') ? 2 + cfg.latenessWarmupSeconds - cfg.warmupSeconds : 0) +
      (cfg.phases.has('commands') ? cfg.longStream / 10_000 : 0) +
      (cfg.phases.has('pipeline') ? 20 + cfg.pipelineSample / 50 : 0) +
      (cfg.phases.has('cascades') ? 10 : 0) + // registering the chains, draining them
      (cfg.phases.has('api') ? 6 * (cfg.warmupSeconds + 2 * cfg.apiSeconds) + 10 : 0) +
      (cfg.phases.has('distributed') // per executor count: processes starting, two windows
        ? cfg.distributedExecutors.length *
          (20 + cfg.distributedWarmupSeconds + cfg.warmupSeconds + 2 * (cfg.seconds + 3))
        : 0) +
      (cfg.phases.has('soak') ? cfg.soakSeconds + 30 : 0) +
      (cfg.phases.has('scale') ? cfg.scaleEndpoints.reduce((a, n) => a + n / 1_000, 0) : 0) +
      (cfg.phases.has('log') ? Math.max(...cfg.logEvents) / 50_000 + 60 : 0) + // growing, reads
      (cfg.phases.has('replay') ? cfg.replayEvents / 4_000 : 0) + // generating, reading, replaying
      (cfg.phases.has('tracing') // three modes, each round a fresh runtime and database
        ? 3 * cfg.tracingRounds * (cfg.warmupSeconds + cfg.tracingSeconds + 5)
        : 0);
    console.log(
      `Orrery bench: phases ${[...cfg.phases].join(', ')} · ~${Math.round(total + 5)} s · target ${target.url} (${target.where}) · PostgreSQL ${postgres}${admin.embedded ? ' (embedded)' : ''} · Redis ${needsRedis ? cfg.redisUrl : 'not needed'} · Orrery's queue ${cfg.queue === 'bullmq' ? 'BullMQ' : 'in process'}`,
    );

    const baselines: BaselineResult[] = [];
    let throughput = null as ThroughputResult | null;
    let lateness = null as LatenessResult | null;
    let commands = null as CommandsResult | null;
    let cascades = null as CascadesResult | null;
    let pipeline = null as PipelineApplyResult | null;
    let replay = null as ReplayResult | null;
    let tracing = null as TracingResult | null;
    let api = null as ApiResult | null;
    let distributed = null as DistributedResult | null;
    let soak = null as SoakResult | null;
    let scale = null as ScaleResult | null;
    let log = null as LogResult | null;
    const meters = () => new PhaseMeters(cfg.profile);
    const cores = availableParallelism();
    if ((loadAtStart[0] ?? 0) > cores) {
      console.log(
        `note: load average ${loadAtStart[0]?.toFixed(1)} on ${cores} cores — other work competes for the CPU; figures will be noisy.`,
      );
    }
    // The baseline runs before and after Orrery's max-throughput phase: on a shared
    // machine the spread between the two shows how much the background moved.
    const steps: { label: string; run: () => Promise<void> }[] = [];
    const baselineRun = (n: number) => ({
      label: `baseline #${n}: BullMQ + undici, concurrency ${cfg.concurrency}, no event log`,
      run: async () => {
        const result = await runBaseline(cfg, target.url, progress, meters(), signal);
        if (!signal.aborted) baselines.push(result);
      },
    });
    if (cfg.phases.has('baseline')) steps.push(baselineRun(1));
    if (cfg.phases.has('throughput')) {
      steps.push({
        label: `orrery max throughput: ${cfg.endpoints} endpoints every ${cfg.everyMs} ms, executor concurrency ${cfg.concurrency}`,
        run: async () => {
          const result = await runThroughput(
            cfg,
            admin.url,
            target.url,
            progress,
            meters(),
            signal,
          );
          if (!signal.aborted) throughput = result;
        },
      });
      if (cfg.phases.has('baseline') && cfg.baselineRuns > 1) steps.push(baselineRun(2));
    }
    if (cfg.phases.has('lateness')) {
      steps.push({
        label: `orrery lateness at ${cfg.rate} runs/s offered`,
        run: async () => {
          const result = await runLateness(cfg, admin.url, target.url, progress, meters(), signal);
          if (!signal.aborted) lateness = result;
        },
      });
    }
    if (cfg.phases.has('commands')) {
      steps.push({
        label: `commands and explain on a ${cfg.longStream.toLocaleString('en')}-event stream vs a 100-event one`,
        run: async () => {
          const result = await runCommands(cfg, admin.url, progress, signal);
          if (!signal.aborted) commands = result;
        },
      });
    }
    if (cfg.phases.has('cascades')) {
      const load = chainLoad(cfg);
      steps.push({
        label: `orrery cascades: ${load.chains} four-stage chains, heads every ${load.everyMs} ms (${((load.chains * 1000) / load.everyMs).toFixed(0)} chains/s)`,
        run: async () => {
          const result = await runCascades(cfg, admin.url, target.url, progress, meters(), signal);
          if (!signal.aborted) cascades = result;
        },
      });
    }
    if (cfg.phases.has('pipeline')) {
      steps.push({
        label: `pipeline apply: ${cfg.pipelineEndpoints} endpoints in one PUT /v1/pipelines/{name}, against ${cfg.pipelineSample} registered one by one`,
        run: async () => {
          const result = await runPipelineApply(cfg, admin.url, progress, signal);
          if (!signal.aborted) pipeline = result;
        },
      });
    }
    if (cfg.phases.has('replay')) {
      steps.push({
        label: `replay: ${cfg.replayEvents.toLocaleString('en')} generated events, rebuilt from position 0 by \`npm run replay\`, and the projection catching up`,
        run: async () => {
          const result = await runReplay(cfg, admin.url, progress, meters(), signal);
          if (!signal.aborted) replay = result;
        },
      });
    }
    if (cfg.phases.has('tracing')) {
      steps.push({
        label: `tracing overhead: ${cfg.tracingEndpoints} endpoints every ${cfg.everyMs} ms, ${cfg.tracingRounds} interleaved rounds each of off / sampled + OTLP export / SDK sampler off`,
        run: async () => {
          const result = await runTracing(cfg, admin.url, target.url, progress, meters, signal);
          if (!signal.aborted) tracing = result;
        },
      });
    }
    if (cfg.phases.has('api')) {
      steps.push({
        label: `API reads: a bare Fastify route, GET /v1/jobs/{id}, /v1/jobs, /v1/endpoints/{id} and its explain — saturated (${cfg.apiConnections} connections) and at ${cfg.apiRate} req/s`,
        run: async () => {
          const result = await runApiReads(cfg, admin.url, progress, signal);
          if (!signal.aborted) api = result;
        },
      });
    }
    if (cfg.phases.has('distributed')) {
      steps.push({
        label: `distributed topology: projection, dispatcher and ${cfg.distributedExecutors.join(' / ')} executor processes over Redis and Postgres`,
        run: async () => {
          const result = await runDistributed(cfg, admin.url, target.url, progress, signal);
          if (!signal.aborted) distributed = result;
        },
      });
    }
    if (cfg.phases.has('soak')) {
      steps.push({
        label: `memory soak: projection, dispatcher and ${cfg.soakExecutors} executor process(es) at ${cfg.rate} runs/s for ${cfg.soakSeconds} s, RSS every ${cfg.soakSampleSeconds} s`,
        run: async () => {
          const result = await runSoak(cfg, admin.url, target.url, progress, signal);
          if (!signal.aborted) soak = result;
        },
      });
    }
    if (cfg.phases.has('scale')) {
      steps.push({
        label: `scale: ${cfg.scaleEndpoints.map((n) => n.toLocaleString('en')).join(' and ')} endpoints registered (projection only): registration, claim time idle and due, reads, bytes, memory`,
        run: async () => {
          const result = await runScale(cfg, admin.url, target.url, progress, signal);
          if (!signal.aborted) scale = result;
        },
      });
    }
    if (cfg.phases.has('log')) {
      steps.push({
        label: `log: one log grown to ${cfg.logEvents.map((n) => n.toLocaleString('en')).join(' → ')} events in SQL; reads p50/p99 and bytes per event at each size`,
        run: async () => {
          const result = await runLog(cfg, admin.url, progress, signal);
          if (!signal.aborted) log = result;
        },
      });
    }
    for (const [i, step] of steps.entries()) {
      if (signal.aborted) break;
      if (i > 0) await sleep(1_000, signal);
      console.log(`\n[${i + 1}/${steps.length}] ${step.label}`);
      await step.run();
    }
    const baseline = summarizeBaselines(baselines);

    const overBaseline = (runsPerSecond: number) =>
      baseline && baseline.runsPerSecond > 0 ? runsPerSecond / baseline.runsPerSecond : null;
    const ratio = throughput ? overBaseline(throughput.runsPerSecond) : null;
    const topology = distributed as DistributedResult | null;
    const distributedResult: DistributedResult | null = topology && {
      ...topology,
      points: topology.points.map((p) => ({
        ...p,
        throughput: { ...p.throughput, ratio: overBaseline(p.throughput.runsPerSecond) },
      })),
    };
    const distributedRatio = topology?.best ? overBaseline(topology.best.runsPerSecond) : null;
    const { phases, databaseUrl: _databaseUrl, ...rest } = cfg;
    const results: BenchResults = {
      startedAt,
      finishedAt: new Date().toISOString(),
      machine: {
        cores,
        cpuModel: cpus()[0]?.model.trim() ?? '?',
        loadAverageAtStart: loadAtStart,
        loadAverageAtEnd: loadavg(),
        node: process.version,
        postgres,
        embeddedPostgres: admin.embedded,
        redisUrl: cfg.redisUrl,
        target: target.where,
      },
      config: { ...rest, phases: [...phases] },
      baseline,
      throughput,
      lateness,
      commands,
      cascades,
      pipeline,
      replay,
      tracing,
      api,
      distributed: distributedResult,
      soak,
      scale,
      log,
      ratio,
      analysis: analyse(cfg.concurrency, baseline, throughput),
      verdict: verdictOf({
        ratio,
        distributedRatio,
        lateness,
        commands,
        pipeline,
        replay,
        api,
        tracing,
        soak: soak as SoakResult | null,
        log,
      }),
    };
    printResults(results);
    const file = await writeResults(RESULTS_DIR, results);
    console.log(`\nresults: ${file}`);
    if (signal.aborted) console.log('(interrupted: partial results)');
    return 0;
  } finally {
    progress.done();
    await cleanup.runAll();
    process.off('SIGINT', onSigint);
  }
}

const code = await main().catch((error: unknown) => {
  console.error(error);
  return 1;
});
process.exitCode = code;
// Anything still holding the loop (a driver's reconnect timer) must not keep a finished bench alive.
setTimeout(() => process.exit(code), 2_000).unref();
