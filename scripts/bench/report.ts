/** The bench's results: one JSON document, and tables on stdout. */
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { BaselineSummary } from './baseline.js';
import { printPipelineApply } from './apply/print.js';
import type { PipelineApplyResult } from './apply/result.js';
import { printCascades } from './cascades/print.js';
import { printReplay } from './replay/print.js';
import type { ReplayResult } from './replay/result.js';
import type { CascadesResult } from './cascades/result.js';
import type { BenchConfig } from './config.js';
import type { CommandsResult, StreamLatency } from './commands/phase.js';
import { COMMAND_TARGET_P99_MS, RECENT_WINDOW } from './commands/phase.js';
import type { WindowMeters } from './meters.js';
import { printLateness } from './orrery/print.js';
import { STAGES, type LatenessResult, type ThroughputResult } from './orrery.js';
import { round, type Summary } from './stats.js';
import { pct, summaryCells, table, verdictText, type Cell } from './table.js';
import { printApiReads } from './api/print.js';
import { printDistributed, printSoak } from './distributed/print.js';
import type { DistributedResult } from './distributed/result.js';
import type { SoakResult } from './distributed/soak.js';
import { printScale } from './scale/print.js';
import type { ScaleResult } from './scale/phase.js';
import { printLog } from './log/print.js';
import type { LogResult } from './log/result.js';
import type { ApiResult } from './api/result.js';
import { printTracing } from './tracing/print.js';
import type { TracingResult } from './tracing/result.js';

export const TARGETS = { ratio: 0.6, p99LatenessMs: 50 } as const;

/** Derived bounds that explain the throughput (from the max-throughput window). */
export interface Analysis {
  /** Mean time a run holds an executor slot: the HTTP call (recording is in the background). */
  readonly executorSlotMs: number | null;
  /** concurrency / executorSlotMs: the executor's ceiling in runs/s. */
  readonly executorBoundRunsPerSecond: number | null;
  /** Same for the baseline worker (its slot is only the call, plus BullMQ). */
  readonly baselineCallMs: number | null;
  /** Share of the window the event log's ordering lock was held. */
  readonly orderingLockUtilisation: number | null;
  readonly appendTransactionsPerSecond: number | null;
  readonly responsesPerAppendTransaction: number | null;
}

export function analyse(
  concurrency: number,
  baseline: BaselineSummary | null,
  throughput: ThroughputResult | null,
): Analysis {
  const call = throughput?.figures.stages[STAGES.call];
  // Executors release a job's slot when the call returns (recording goes on in the background).
  const slot = call && call.count > 0 ? call.mean : null;
  const lock = throughput?.figures.orderingLock;
  const perCall = throughput?.figures.ops['log: appendEach [ResponseRecorded] requests per call'];
  const calls = baseline?.runs.map((r) => r.callMs.mean) ?? [];
  return {
    executorSlotMs: slot,
    executorBoundRunsPerSecond: slot ? (concurrency * 1000) / slot : null,
    baselineCallMs: calls.length > 0 ? calls.reduce((a, b) => a + b, 0) / calls.length : null,
    orderingLockUtilisation: lock ? lock.utilisation : null,
    appendTransactionsPerSecond: lock && throughput ? lock.holds / throughput.windowSeconds : null,
    responsesPerAppendTransaction: perCall && perCall.count > 0 ? perCall.mean : null,
  };
}

export interface BenchResults {
  readonly startedAt: string;
  readonly finishedAt: string;
  readonly machine: {
    readonly cores: number;
    readonly cpuModel: string;
    readonly loadAverageAtStart: readonly number[];
    readonly loadAverageAtEnd: readonly number[];
    readonly node: string;
    readonly postgres: string;
    readonly embeddedPostgres: boolean;
    readonly redisUrl: string;
    readonly target: string;
  };
  readonly config: Omit<BenchConfig, 'phases' | 'databaseUrl'> & { phases: string[] };
  readonly baseline: BaselineSummary | null;
  readonly throughput: ThroughputResult | null;
  readonly lateness: LatenessResult | null;
  readonly commands: CommandsResult | null;
  readonly cascades: CascadesResult | null;
  readonly pipeline: PipelineApplyResult | null;
  readonly replay: ReplayResult | null;
  readonly tracing: TracingResult | null;
  readonly api: ApiResult | null;
  readonly distributed: DistributedResult | null;
  readonly soak: SoakResult | null;
  readonly scale: ScaleResult | null;
  /** The log phase: reads and bytes per event as one log grows (null when not run). */
  readonly log: LogResult | null;
  readonly ratio: number | null;
  readonly analysis: Analysis;
  readonly verdict: {
    readonly ratio: { target: number; reached: number | null; met: boolean | null };
    /**
     * The soak's worst process: its RSS trend after the first minute over the soak, % of its
     * mean (`target`: the most it may grow).
     */
    readonly memoryFlat: { target: number; reached: number | null; met: boolean | null };
    /** The soak's live heap (in use after a full GC) grows less than the target, per process. */
    readonly memoryLeakFree: { target: number; reached: number | null; met: boolean | null };
    /** The distributed topology's best runs/s (over its executor counts) over the baseline's. */
    readonly distributedRatio: { target: number; reached: number | null; met: boolean | null };
    /** Slot → HTTP call start p99 of the lateness phase, ms. */
    readonly p99LatenessMs: { target: number; reached: number | null; met: boolean | null };
    /** Calls of the lateness phase that started before their slot (target 0). */
    readonly neverEarly: { target: number; reached: number | null; met: boolean | null };
    readonly p99CommandMs: { target: number; reached: number | null; met: boolean | null };
    readonly pipelineApplySeconds: {
      target: number;
      reached: number | null;
      met: boolean | null;
    };
    readonly replayEventsPerSecond: {
      target: number;
      reached: number | null;
      met: boolean | null;
    };
    /**
     * Tracing off's span calls cost a run less than the noise between tracing-off rounds:
     * `target` the noise (% spread of runs/s), `reached` the cost (% of a run's CPU).
     */
    /** Highest p99 of the API reads at BENCH_API_RATE req/s on one process, ms (goal ≤ 10). */
    readonly apiReadP99Ms: { target: number | null; reached: number | null; met: boolean | null };
    /** Smallest saturated req/s of an API read over a bare Fastify route's (goal ≥ 0.25). */
    readonly apiReadShareOfBare: {
      target: number | null;
      reached: number | null;
      met: boolean | null;
    };
    readonly tracingOffCostsNothingMeasurable: {
      definition: string | null;
      target: number | null;
      reached: number | null;
      met: boolean | null;
    };
    /**
     * The log phase's read that grew most: its p99 at the largest log over the smallest's
     * (each floored at 1 ms), `target` the most it may grow.
     */
    readonly logReadsFlat: { target: number; reached: number | null; met: boolean | null };
  };
}

/** Rounds every float in the document to 0.1 (smaller, stable JSON). */
function tidy(value: unknown): unknown {
  if (typeof value === 'number') return Number.isInteger(value) ? value : round(value, 2);
  if (Array.isArray(value)) return value.map(tidy);
  if (value && typeof value === 'object') {
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, tidy(v)]));
  }
  return value;
}

export async function writeResults(dir: string, results: BenchResults): Promise<string> {
  await mkdir(dir, { recursive: true });
  const file = join(dir, `bench-${results.startedAt.replace(/[:.]/g, '-')}.json`);
  const body = `${JSON.stringify(tidy(results), null, 2)}\n`;
  await writeFile(file, body);
  await writeFile(join(dir, 'latest.json'), body);
  return file;
}

function cpuRow(label: string, meters: WindowMeters | undefined): Cell[] {
  const cpu = meters?.cpu;
  return [
    label,
    pct(cpu?.nodeProcessPct),
    cpu ? cpu.mainLoopUtilisation.toFixed(2) : null,
    pct(cpu?.postgresPct),
    pct(cpu?.redisPct),
    pct(cpu?.machineBusyPct),
  ];
}

export function printResults(results: BenchResults): void {
  const { baseline, throughput, lateness, commands, machine, config } = results;
  const out: string[] = [];
  out.push('');
  out.push(
    `Orrery bench — ${machine.cores} cores (${machine.cpuModel}), Node ${machine.node}, PostgreSQL ${machine.postgres}${machine.embeddedPostgres ? ' (embedded)' : ''}, load avg ${machine.loadAverageAtStart.map((l) => l.toFixed(1)).join(' ')} at start, ${machine.loadAverageAtEnd.map((l) => l.toFixed(1)).join(' ')} at end`,
  );
  out.push(
    `window ${config.seconds} s after ${config.warmupSeconds} s warm-up (lateness: ${config.latenessWarmupSeconds} s after its first slot) · concurrency ${config.concurrency} · dispatcher batch ${config.batchSize} · target in ${machine.target}`,
  );

  out.push('\nTHROUGHPUT (runs recorded per second in the window)');
  out.push(
    table(
      ['pipeline', 'runs/s', 'runs', 'detail'],
      [
        ...(baseline?.runs ?? []).map((run, i): Cell[] => [
          `baseline #${i + 1}: BullMQ + undici`,
          run.runsPerSecond,
          run.completedInWindow,
          `call p50 ${run.callMs.p50.toFixed(1)} ms, failed ${run.failed}`,
        ]),
        [
          'baseline (mean)',
          baseline?.runsPerSecond,
          null,
          baseline && baseline.runs.length > 1
            ? `spread ${baseline.min.toFixed(0)}…${baseline.max.toFixed(0)}`
            : '',
        ],
        [
          `orrery: ${throughput?.endpoints ?? '?'} endpoints every ${throughput?.everyMs ?? '?'} ms`,
          throughput?.runsPerSecond,
          throughput?.figures.recorded,
          throughput
            ? `dispatched ${throughput.dispatchedPerSecond.toFixed(0)}/s, due backlog ${throughput.dueBacklog.min.toFixed(0)}…${throughput.dueBacklog.max.toFixed(0)}, failed calls ${throughput.figures.failedCalls}`
            : '',
        ],
      ],
    ),
  );
  out.push(
    `  ratio orrery / baseline: ${results.ratio === null ? '–' : results.ratio.toFixed(2)}  (target ≥ ${TARGETS.ratio}: ${verdictText(results.verdict.ratio.met)})`,
  );

  const a = results.analysis;
  if (a.executorSlotMs !== null && a.executorBoundRunsPerSecond !== null) {
    out.push(
      `  why: an executor slot is held for the call: ${a.executorSlotMs.toFixed(1)} ms per run → ≤ ${config.concurrency} / ${a.executorSlotMs.toFixed(1)} ms ≈ ${a.executorBoundRunsPerSecond.toFixed(0)} runs/s` +
        (a.baselineCallMs !== null
          ? ` (a baseline worker slot: ${a.baselineCallMs.toFixed(1)} ms)`
          : ''),
    );
  }
  if (a.orderingLockUtilisation !== null) {
    out.push(
      `       the event-log ordering lock was held ${(a.orderingLockUtilisation * 100).toFixed(0)}% of the window: ${a.appendTransactionsPerSecond?.toFixed(0) ?? '?'} append transactions/s, ${a.responsesPerAppendTransaction?.toFixed(1) ?? '?'} ResponseRecorded per executor append`,
    );
  }
  out.push(
    "\nCPU during each window (% of one core; main loop = event-loop utilisation; postgres = the bench database's backends + background processes; redis and machine include other users)",
  );
  out.push(
    table(
      ['window', 'node proc', 'main loop', 'postgres', 'redis', 'machine'],
      [
        ...(baseline?.runs ?? []).map((run, i) => cpuRow(`baseline #${i + 1}`, run.meters)),
        cpuRow('orrery max', throughput?.meters),
        cpuRow('orrery lateness', lateness?.meters),
      ],
    ),
  );

  if (lateness) {
    printLateness(out, lateness, {
      targetMs: TARGETS.p99LatenessMs,
      p99Met: results.verdict.p99LatenessMs.met,
      neverEarlyMet: results.verdict.neverEarly.met,
    });
  }

  out.push('\nSTAGES per run, ms (p50 / p95 / p99)');
  const triple = (s: Summary | undefined) =>
    s && s.count > 0 ? `${s.p50.toFixed(1)} / ${s.p95.toFixed(1)} / ${s.p99.toFixed(1)}` : '–';
  const stageNames = Object.values(STAGES);
  out.push(
    table(
      ['stage', 'orrery max', 'orrery lateness'],
      stageNames.map((name) => [
        name,
        triple(throughput?.figures.stages[name]),
        triple(lateness?.figures.stages[name]),
      ]),
    ),
  );

  out.push('\nOPERATIONS (count, then p50 / p95 / p99 / mean)');
  const opsOf = (r: ThroughputResult | LatenessResult | null) => r?.figures.ops ?? {};
  const opNames = [
    ...new Set([...Object.keys(opsOf(throughput)), ...Object.keys(opsOf(lateness))]),
  ].sort();
  const opCell = (s: Summary | undefined) =>
    s && s.count > 0
      ? `${s.count} · ${s.p50.toFixed(1)} / ${s.p95.toFixed(1)} / ${s.p99.toFixed(1)} / ${s.mean.toFixed(1)}`
      : '–';
  out.push(
    table(
      ['operation', 'orrery max', 'orrery lateness'],
      opNames.map((name) => [name, opCell(opsOf(throughput)[name]), opCell(opsOf(lateness)[name])]),
    ),
  );

  for (const [label, result] of [
    ['orrery max', throughput],
    ['orrery lateness', lateness],
  ] as const) {
    if (!result) continue;
    const { orderingLock: lock, claims, staleSkips, redispatched } = result.figures;
    out.push(
      `\n${label}: event-log ordering lock held ${(lock.utilisation * 100).toFixed(0)}% of the window, ${lock.holds} holds, hold p50 ${lock.p50Ms.toFixed(1)} ms, p99 ${lock.p99Ms.toFixed(1)} ms, wait p99 ${lock.waitP99Ms.toFixed(1)} ms`,
    );
    out.push(
      `  claims ${Object.entries(claims)
        .map(([outcome, n]) => `${outcome} ${n}`)
        .join(', ')} · stale skips ${staleSkips} · redispatched runs ${redispatched}`,
    );
  }

  if (commands) printCommands(out, commands);
  if (results.cascades) printCascades(out, results.cascades);
  if (results.pipeline) printPipelineApply(out, results.pipeline);
  if (results.replay) printReplay(out, results.replay);
  if (results.tracing) printTracing(out, results.tracing);
  if (results.api) printApiReads(out, results.api);
  if (results.distributed) {
    printDistributed(out, results.distributed, TARGETS.p99LatenessMs, baseline);
  }
  if (results.soak) printSoak(out, results.soak);
  if (results.scale) printScale(out, results.scale);
  if (results.log) printLog(out, results.log);

  for (const [label, meters] of [
    ...(baseline?.runs ?? []).map((run, i) => [`baseline #${i + 1}`, run.meters] as const),
    ['orrery max', throughput?.meters],
    ['orrery lateness', lateness?.meters],
    ['orrery cascades', results.cascades?.meters],
    ['replay', results.replay?.replay.meters ?? undefined],
  ] as const) {
    const profile = meters?.profile;
    if (!profile) continue;
    out.push(`\nCPU PROFILE of the main thread, ${label} window (${profile.sampledMs} ms sampled)`);
    out.push(
      table(
        ['package (self time)', 'ms', '%'],
        profile.byPackage.slice(0, 14).map((p) => [p.name, p.ms, `${p.pct}%`]),
      ),
    );
    out.push(
      table(
        ['hottest functions (self time)', 'ms', '%'],
        profile.topFunctions.slice(0, 12).map((p) => [p.name, p.ms, `${p.pct}%`]),
      ),
    );
  }
  console.log(out.join('\n'));
}

function printCommands(out: string[], commands: CommandsResult): void {
  const { long, short } = commands;
  out.push(
    `\nCOMMANDS through the API (app.inject on buildApp), ${long.command.count} each, alternating streams; ${long.events.toLocaleString('en')}-event stream built in ${commands.buildSeconds.toFixed(0)} s, projected in ${commands.catchUpSeconds.toFixed(0)} s`,
  );
  const row = (label: string, s: StreamLatency, pick: 'command' | 'explain'): Cell[] => [
    label,
    ...summaryCells(s[pick]),
  ];
  out.push(
    table(
      ['ms', 'calls', 'p50', 'p95', 'p99', 'max', 'mean'],
      [
        row(`command, ${long.events.toLocaleString('en')} events`, long, 'command'),
        row(`command, ${short.events} events`, short, 'command'),
        row(`explain, ${long.events.toLocaleString('en')} events`, long, 'explain'),
        row(`explain, ${short.events} events`, short, 'explain'),
      ],
    ),
  );
  const ratio = (a: Summary, b: Summary) => (b.p99 > 0 ? (a.p99 / b.p99).toFixed(2) : '–');
  out.push(
    `  p99 long/short: command ${ratio(long.command, short.command)}, explain ${ratio(long.explain, short.explain)} · failures ${long.failures + short.failures}`,
  );
  out.push(
    `  (explain also reads a stream's last ${RECENT_WINDOW} events for its recent decisions: a fixed bound)`,
  );
  out.push(
    `  p99 command on the long stream ${long.command.p99.toFixed(1)} ms (target ≤ ${COMMAND_TARGET_P99_MS} ms: ${verdictText(long.command.p99 <= COMMAND_TARGET_P99_MS)})`,
  );
}
