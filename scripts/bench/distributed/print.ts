/** The distributed phase's table on stdout. */
import { pct, table } from '../table.js';
import type { DistributedResult } from './result.js';

export function printDistributed(out: string[], r: DistributedResult): void {
  const first = r.points[0];
  if (!first) return;
  out.push(
    `\nDISTRIBUTED: projection, dispatcher and N executors as separate processes over Redis and Postgres; lateness at ${first.lateness.offeredPerSecond} runs/s offered, then ${first.throughput.endpoints} more endpoints every ${first.throughput.everyMs} ms (saturated); ${r.seconds} s windows after ${r.warmupSeconds} s warm-up`,
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
}
