/** The cascades phase's tables on stdout. */
import type { Summary } from '../stats.js';
import { pct, table, type Cell } from '../table.js';
import { CASCADE_GOALS, HOP_STAGES, type CascadesResult } from './result.js';

const cells = (s: Summary | undefined): Cell[] =>
  s && s.count > 0
    ? [s.count, s.p50, s.p95, s.p99, s.max, s.mean]
    : [0, null, null, null, null, null];

const goal = (met: boolean | null) =>
  met === null ? 'not measured' : met ? 'goal met' : 'goal missed';

export function printCascades(out: string[], r: CascadesResult): void {
  out.push(
    `\nCASCADES: ${r.chains} chains of ${r.stagesPerChain} stages, heads every ${r.everyMs} ms (${r.offeredChainsPerSecond.toFixed(0)} chains/s offered, ${(r.offeredChainsPerSecond * r.stagesPerChain).toFixed(0)} runs/s), window ${r.windowSeconds.toFixed(1)} s`,
  );
  out.push(
    `  achieved: ${r.startedChainsPerSecond.toFixed(0)} chains/s started, ${r.recordedRunsPerSecond.toFixed(0)} runs/s recorded${r.startedChainsPerSecond < 0.9 * r.offeredChainsPerSecond ? ' — BELOW the offered load: the pipeline fell behind, so the hops below include the backlog' : ''}`,
  );
  out.push(
    `  chains started in the window ${r.chainsStarted}, reached ${r.reachedStage
      .map((n, i) => `s${i + 1} ${n}`)
      .join(
        ', ',
      )} → completed all ${r.stagesPerChain} stages: ${r.chainsCompleted}/${r.chainsStarted}`,
  );
  const { repeats: x } = r;
  out.push(
    `  runs per (downstream, chain): ${x.pairs} pairs, dispatched twice ${x.dispatchedTwice}, ran twice ${x.ranTwice}, recorded twice ${x.recordedTwice} (${x.ranTwice === 0 && x.recordedTwice === 0 ? 'no stage ran twice' : 'A STAGE RAN TWICE'}) · redispatched ${x.redispatched} · refused ${x.refused} · skipped ${x.skipped} · failed calls ${x.failedCalls}`,
  );
  out.push(
    `  at the end (after ${r.drainSeconds.toFixed(0)} s of drain): satisfied observations that fired nothing ${x.observedNotFired} · triggered, not dispatched ${x.triggeredNotDispatched} · dispatched, not recorded ${x.dispatchedNotRecorded}`,
  );
  out.push(
    `\n  where a hop's time goes (${r.hops} hops whose upstream was recorded in the window${r.hopsUnfinished > 0 ? `, ${r.hopsUnfinished} never reached their call` : ''}), from the log's timestamps`,
  );
  out.push(
    table(
      ['ms', 'hops', 'p50', 'p95', 'p99', 'max', 'mean'],
      [
        ...Object.values(HOP_STAGES).map((name) => [name, ...cells(r.stages[name])]),
        ...Object.entries(r.hopByDepth).map(([depth, s]) => [`hop ${depth}`, ...cells(s)]),
      ],
    ),
  );
  out.push(`\n  the heads' own scheduled runs, same window (the reference for a run simply due)`);
  out.push(
    table(
      ['ms', 'runs', 'p50', 'p95', 'p99', 'max', 'mean'],
      Object.entries(r.heads).map(([name, s]) => [name, ...cells(s)]),
    ),
  );
  out.push(
    table(
      ['processor (meters)', 'events', 'lag p50', 'p95', 'p99', 'batch p50', 'p99', 'batches'],
      Object.entries(r.processors).map(([name, p]) => [
        name,
        p.handled,
        p.lag.p50,
        p.lag.p95,
        p.lag.p99,
        p.batch.p50,
        p.batch.p99,
        p.batch.count,
      ]),
    ),
  );
  const cpu = r.meters.cpu;
  if (cpu) {
    out.push(
      `  CPU: node ${pct(cpu.nodeProcessPct)} (main loop ${cpu.mainLoopUtilisation.toFixed(2)}), postgres ${pct(cpu.postgresPct)}, redis ${pct(cpu.redisPct)}, machine ${pct(cpu.machineBusyPct)} · event-log lock held ${(r.figures.orderingLock.utilisation * 100).toFixed(0)}%`,
    );
  }
  const { p50Ms, p99Ms } = r.goals;
  const ms = (v: number | null) => (v === null ? '–' : `${v.toFixed(1)} ms`);
  out.push(
    `  hop p50 ${ms(p50Ms.reached)} (goal ≤ ${CASCADE_GOALS.p50Ms} ms: ${goal(p50Ms.met)}), p99 ${ms(p99Ms.reached)} (goal ≤ ${CASCADE_GOALS.p99Ms} ms: ${goal(p99Ms.met)}), max ${ms(r.stages[HOP_STAGES.hop]?.max ?? null)}` +
      (r.ratioToHeads === null
        ? ''
        : ` · hop p50 / head slot → call p50 = ${r.ratioToHeads.toFixed(1)}×`),
  );
}
