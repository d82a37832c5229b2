/** The distributed phase's table on stdout. */
import type { BaselineSummary } from '../baseline.js';
import type { CpuReport } from '../cpu.js';
import { perSecondLine, settledSecond } from '../orrery/by-second.js';
import { pct, table } from '../table.js';
import type { DistributedResult } from './result.js';
import type { Trend } from './memory.js';
import { FLAT_GROWTH_PCT, type SoakResult } from './soak.js';

/**
 * `latenessTargetMs`: the lateness goal, for the first second of the start within it;
 * `baseline`: the same run's baseline, whose CPU per run the topology's is set against.
 */
export function printDistributed(
  out: string[],
  r: DistributedResult,
  latenessTargetMs: number,
  baseline: BaselineSummary | null,
): void {
  const first = r.points[0];
  if (!first) return;
  out.push(
    `\nDISTRIBUTED: projection, dispatcher and N executors as separate processes over Redis and Postgres; lateness at ${first.lateness.offeredPerSecond} runs/s offered, then ${first.throughput.endpoints} more endpoints every ${first.throughput.everyMs} ms (saturated); ${r.seconds} s windows after ${r.latenessWarmupSeconds} s (lateness: the services were just spawned) and ${r.warmupSeconds} s (saturated) of warm-up`,
  );
  out.push(
    table(
      [
        'executors',
        'ready s',
        'call start p50 ms',
        'p95',
        'p99',
        'early',
        'calls/slots',
        'runs/s saturated',
        'ratio',
      ],
      r.points.map((p) => [
        p.executors,
        p.startMs / 1000,
        p.lateness.callStart.p50,
        p.lateness.callStart.p95,
        p.lateness.callStart.p99,
        p.lateness.earlyCalls,
        `${p.lateness.callsStarted}/${p.lateness.slotsOffered}`,
        p.throughput.runsPerSecond,
        p.throughput.ratio === null ? null : p.throughput.ratio.toFixed(2),
      ]),
    ),
  );
  out.push(
    '  call start p99 ms second by second from the first slot of the lateness load (| where the window starts):',
  );
  for (const p of r.points) {
    const { bySecond, windowStartSecond } = p.lateness;
    const before = perSecondLine(bySecond.slice(0, windowStartSecond), (s) => s.p99);
    const inWindow = perSecondLine(bySecond.slice(windowStartSecond), (s) => s.p99);
    const settled = settledSecond(bySecond, latenessTargetMs);
    out.push(
      `  ${p.executors} executor(s): ${before} | ${inWindow} (first second with p99 ≤ ${latenessTargetMs} ms: ${settled ?? 'none'})`,
    );
  }
  out.push('  per process over the saturated window: % of one core, RSS MB start → end');
  for (const p of r.points) {
    out.push(
      `  ${p.executors} executor(s): ${p.throughput.processes
        .map(
          (s) =>
            `${s.label} ${s.cpuPct === null ? '–' : pct(s.cpuPct)} ${s.rssMb.start?.toFixed(0) ?? '–'}→${s.rssMb.end?.toFixed(0) ?? '–'}`,
        )
        .join(' · ')}`,
    );
  }
  printCpuPerRun(out, r, baseline);
  printProfiles(out, r);
}

/** CPU ms per run of a window: `pct` % of one core over a window that recorded `perSecond` runs/s. */
const msPerRun = (pct: number | null | undefined, perSecond: number) =>
  pct === null || pct === undefined || perSecond <= 0 ? null : (pct * 10) / perSecond;

/**
 * On a machine whose cores are all busy, runs/s is the machine's CPU over the CPU each run costs:
 * the cost per run, by who spends it, says where a higher ratio has to come from.
 */
function printCpuPerRun(
  out: string[],
  r: DistributedResult,
  baseline: BaselineSummary | null,
): void {
  const machine = (cpu: CpuReport | null) =>
    cpu && cpu.machineBusyPct !== null ? cpu.machineBusyPct * cpu.cores : null;
  const rows = [
    ...(baseline?.runs ?? []).map((run, i) => {
      const cpu = run.meters.cpu;
      return [
        `baseline #${i + 1}`,
        run.runsPerSecond,
        null,
        null,
        msPerRun(cpu?.redisPct, run.runsPerSecond),
        msPerRun(cpu?.nodeProcessPct, run.runsPerSecond),
        msPerRun(machine(cpu ?? null), run.runsPerSecond),
      ];
    }),
    ...r.points.map((p) => {
      const { runsPerSecond: perSecond, processes, servers } = p.throughput;
      const services = processes.every((s) => s.cpuPct !== null)
        ? processes.reduce((sum, s) => sum + (s.cpuPct ?? 0), 0)
        : null;
      return [
        `${p.executors} executor(s)`,
        perSecond,
        msPerRun(services, perSecond),
        msPerRun(servers?.postgresPct, perSecond),
        msPerRun(servers?.redisPct, perSecond),
        msPerRun(servers?.nodeProcessPct, perSecond),
        msPerRun(machine(servers), perSecond),
      ];
    }),
  ];
  out.push(
    "  CPU per recorded run over the saturated window, ms: Orrery's service processes, Postgres (the bench database's backends and background processes), Redis, the bench process (the baseline's producer and worker; the loopback target's thread in both), and the whole machine",
  );
  out.push(
    table(
      ['window', 'runs/s', 'services', 'postgres', 'redis', 'bench process', 'machine'],
      rows.map(([label, perSecond, ...ms]) => [
        label,
        perSecond,
        ...ms.map((v) => (typeof v === 'number' ? v.toFixed(2) : null)),
      ]),
    ),
  );
}

/** BENCH_PROFILE=1: each service process's main thread over the saturated window. */
function printProfiles(out: string[], r: DistributedResult): void {
  for (const p of r.points) {
    for (const s of p.throughput.processes) {
      if (!s.profile) continue;
      const top = (items: readonly { name: string; pct: number }[]) =>
        items
          .slice(0, 8)
          .map((i) => `${i.name} ${pct(i.pct)}`)
          .join(', ');
      out.push(
        `  ${p.executors} executor(s), ${s.label} (${s.profile.sampledMs} ms sampled, self time): ${top(s.profile.byPackage)}`,
      );
      out.push(`    functions: ${top(s.profile.topFunctions)}`);
    }
  }
}

export function printSoak(out: string[], r: SoakResult): void {
  out.push(
    `\nMEMORY SOAK: projection, dispatcher and ${r.executors} executor process(es) at ${r.offeredPerSecond} runs/s offered for ${r.seconds} s; RSS every ${r.sampleSeconds} s; flat = trend after the first minute grows < ${FLAT_GROWTH_PCT} % of the mean`,
  );
  const trend = (t: Trend | undefined) =>
    t === undefined ? '–' : `${t.first.toFixed(0)}→${t.last.toFixed(0)} (${pct(t.growthPct)})`;
  out.push(
    table(
      [
        'process',
        'RSS MB first',
        'last',
        'max',
        'MB/min after 1 min',
        'trend growth',
        'flat',
        'heap used MB (trend)',
        'live heap MB',
        'RSS outside heap MB',
        'full GCs',
      ],
      r.processes.map((p) => [
        p.label,
        p.rssMb.first,
        p.rssMb.last,
        p.rssMb.max,
        p.slopeMbPerMinute.toFixed(2),
        pct(p.trendGrowthPct),
        p.flat ? 'yes' : 'NO',
        trend(p.heap?.used),
        trend(p.heap?.live),
        trend(p.heap?.outsideHeap),
        p.heap?.majorGcs ?? '–',
      ]),
    ),
  );
  if (r.leakFree !== null) {
    out.push(
      `  RSS = V8 heap + the rest. Live heap (in use after the last full GC) worst trend ${pct(r.worstLiveHeapGrowthPct ?? NaN)}, RSS outside the heap worst ${pct(r.worstOutsideHeapGrowthPct ?? NaN)}: ${
        r.leakFree
          ? 'no leak; RSS moves with the garbage V8 lets pile up between full GCs (a sawtooth, sampled).'
          : 'NOT flat: a leak, in the live heap or outside it.'
      }`,
    );
  }
  const answered = r.intervals.map((i) => i.answeredPerSecond);
  const p99s = r.intervals.flatMap((i) => (i.callStartP99Ms === null ? [] : [i.callStartP99Ms]));
  out.push(
    `  calls started per second by interval: min ${Math.min(...answered).toFixed(0)}, max ${Math.max(...answered).toFixed(0)}; call-start p99 by interval: min ${p99s.length ? Math.min(...p99s).toFixed(0) : '–'} ms, max ${p99s.length ? Math.max(...p99s).toFixed(0) : '–'} ms`,
  );
  if (r.heapSnapshotDir) out.push(`  heap snapshots: ${r.heapSnapshotDir}`);
}
