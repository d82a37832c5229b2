/** The tracing phase's tables on stdout. */
import { table, type Cell } from '../table.js';
import { MODE_LABELS, TRACING_MODES } from './modes.js';
import type { RatioToOff, Spread, TracingResult } from './result.js';

const range = (s: Spread | null | undefined, digits = 0): string =>
  s ? `${s.mean.toFixed(digits)} (${s.min.toFixed(digits)}–${s.max.toFixed(digits)})` : '–';

const ratioCells = (label: string, r: RatioToOff | null): Cell[] =>
  r
    ? [
        label,
        r.runsPerSecond.toFixed(3),
        r.runsPerSecondByCycle.map((x) => x.toFixed(3)).join(' '),
        r.runsPerSecondMedianOfCycles?.toFixed(3) ?? '–',
        r.startLatenessP50.toFixed(3),
        r.startLatenessP99.toFixed(3),
        r.nodeCpuPerRun?.toFixed(3) ?? '–',
        r.withinOffSpread ? 'yes' : 'no',
      ]
    : [label, null, null, null, null, null, null, null];

export function printTracing(out: string[], t: TracingResult): void {
  out.push(
    `\nTRACING OVERHEAD: ${t.endpoints} endpoints every ${t.everyMs} ms (saturated), ${t.roundsPerMode} rounds per mode of ${t.windowSeconds} s after ${t.warmupSeconds} s warm-up, each on a fresh runtime and database; order ${t.order.join(' ')}`,
  );
  out.push(
    `  b exports by OTLP/HTTP (protobuf, default BatchSpanProcessor) to ${t.sink}, a loopback sink that answers at once`,
  );
  out.push(
    table(
      [
        'mode',
        'rounds',
        'runs/s mean (min–max)',
        'spread',
        'start lateness p50 ms',
        'p99 ms',
        'CPU ms/run',
        'spans/run',
      ],
      TRACING_MODES.flatMap((mode) => {
        const m = t.modes[mode];
        if (!m) return [];
        return [
          [
            MODE_LABELS[mode],
            m.rounds,
            range(m.runsPerSecond),
            `${m.runsPerSecond.spreadPct.toFixed(1)}%`,
            range(m.startLatenessP50Ms),
            range(m.startLatenessP99Ms),
            range(m.nodeCpuMsPerRun, 2),
            m.spansPerRun.toFixed(2),
          ],
        ];
      }),
    ),
  );
  out.push(
    table(
      [
        'ratio to a (tracing off)',
        'runs/s',
        'runs/s by pass',
        'median',
        'lateness p50',
        'p99',
        'CPU/run',
        'within a spread',
      ],
      [ratioCells('b / a', t.ratios.sampledToOff), ratioCells('c / a', t.ratios.unsampledToOff)],
    ),
  );
  const sampled = t.modes.sampled;
  if (sampled) {
    out.push(
      `  spans exported per run (b): ${Object.entries(sampled.spansPerRunByName)
        .map(([name, n]) => `${name} ${n.toFixed(2)}`)
        .join(' · ')}`,
    );
    out.push(
      `  orrery.run.record spans per recorded run ${sampled.recordSpansPerRun.toFixed(3)} (about 1: the exporter dropped nothing)`,
    );
  }
  const n = t.noopSpans;
  out.push(
    `  a no-op span (attributes, startSpan under a parent, 2 attributes, context.with, end): ${n.nsPerSpan.toFixed(0)} ns; × ${n.spansPerRun?.toFixed(1) ?? '–'} spans per run = ${n.usPerRun?.toFixed(2) ?? '–'} µs per run, ${n.shareOfCpuPerRunPct?.toFixed(3) ?? '–'}% of tracing off's CPU per run`,
  );
  const v = t.offCostsNothing;
  const verdict = v.met === null ? 'not measured' : v.met ? 'MET' : 'MISSED';
  out.push(
    `  tracing off costs nothing measurable: ${verdict} — cost ${v.costPct?.toFixed(3) ?? '–'}% of a run's CPU vs noise ${v.noisePct?.toFixed(1) ?? '–'}% (spread between a's own rounds: the smaller of runs/s and CPU per run)${t.offRoundsHadNoSdk ? '' : ' · WARNING: an off round found an SDK still registered'}`,
  );
}
