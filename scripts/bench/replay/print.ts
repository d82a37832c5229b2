/** The replay phase's tables on stdout. */
import { pct, table } from '../table.js';
import type { WindowMeters } from '../meters.js';
import type { ReplayResult, Stage } from './result.js';

const rate = (n: number) => Math.round(n).toLocaleString('en');

const stages = (list: readonly Stage[]) =>
  table(
    ['stage', 'ms', 'share', 'µs/event', 'from'],
    list.map((s) => [s.stage, s.ms, pct(s.share * 100), s.usPerEvent, s.source]),
  );

function cpuLine(what: string, meters: WindowMeters | null): string | null {
  const cpu = meters?.cpu;
  if (!cpu) return null;
  return `  CPU during ${what} (% of one core): node ${pct(cpu.nodeProcessPct)} (main loop ${cpu.mainLoopUtilisation.toFixed(2)}), postgres ${pct(cpu.postgresPct)}, machine ${pct(cpu.machineBusyPct)} of ${cpu.cores} cores`;
}

export function printReplay(out: string[], r: ReplayResult): void {
  const { generated: g, baselines: b, replay: x, verify: v, projection: p, checks, server } = r;
  out.push(
    `\nREPLAY: \`npm run replay\` — the read models rebuilt from position 0 into a shadow schema and swapped in, over ${x.events.toLocaleString('en')} generated events`,
  );
  out.push(
    `  log: ${g.endpoints} endpoints in ${g.jobs} jobs of ${g.tenants} tenants, ${g.edges} edges, ${g.historyHours.toFixed(1)} h of history (seed ${g.seed}); written in ${g.seconds.toFixed(0)} s (${rate(g.eventsPerSecond)} events/s through appendMany)`,
  );
  out.push(
    `  server: autovacuum ${server.autovacuum}, shared_buffers ${server.sharedBuffers}, work_mem ${server.workMem}, synchronous_commit ${server.synchronousCommit}`,
  );
  out.push(
    `  ${Object.entries(g.byType)
      .map(([type, n]) => `${type} ${n}`)
      .join(' · ')}`,
  );
  out.push(
    table(
      ['pass over the log', 'events', 's', 'events/s', 'replay at'],
      [
        [
          'raw SQL rows (no decoding)',
          b.raw.events,
          b.raw.seconds,
          rate(b.raw.perSecond),
          pct(r.ratio.toRawRows * 100),
        ],
        [
          'decoding alone (decodeEventRow)',
          b.decode.events,
          b.decode.seconds,
          rate(b.decode.perSecond),
          null,
        ],
        [
          'store.readAll (decoded)',
          b.readAll.events,
          b.readAll.seconds,
          rate(b.readAll.perSecond),
          pct(r.ratio.toReadAll * 100),
        ],
        [
          "the replay's reader (readLog)",
          b.replayRead.events,
          b.replayRead.seconds,
          rate(b.replayRead.perSecond),
          pct(r.ratio.toReplayRead * 100),
        ],
        [
          'projection catch-up (ProcessorHost)',
          p.events,
          p.seconds,
          rate(p.perSecond),
          pct(r.ratio.toProjection * 100),
        ],
        [`REPLAY (${x.workers} fold threads)`, x.events, x.seconds, rate(x.perSecond), null],
        ['replay --verify', v.events, v.seconds, rate(v.perSecond), null],
        [
          'replay on one thread (workers: 0)',
          r.oneThread.events,
          r.oneThread.seconds,
          rate(r.oneThread.perSecond),
          pct(r.ratio.toOneThread * 100),
        ],
      ],
    ),
  );
  out.push(
    `  replay ${rate(x.perSecond)} events/s (goal ≥ ${rate(r.goal.eventsPerSecond)}: ${r.goal.met ? 'MET' : 'MISSED'}) — ${r.ratio.toOneThread.toFixed(2)}× the same replay on one thread, ${r.ratio.toProjection.toFixed(1)}× the projection's catch-up, at ${pct(r.ratio.toReplayRead * 100)} of its own reader alone; compared in ${x.compareSeconds.toFixed(1)} s; --verify ${v.differences === 0 ? 'found no difference' : `found ${v.differences} DIFFERENCES`}`,
  );
  out.push('\n  where the replay time goes');
  out.push(stages(r.breakdown));
  const cpu = cpuLine('the replay', x.meters);
  if (cpu) out.push(cpu);
  out.push(
    `\n  where the projection's catch-up time goes (batches of ${p.batchSize}: ${p.batches.count}, p50 ${p.batches.p50Ms.toFixed(0)} ms, p99 ${p.batches.p99Ms.toFixed(0)} ms)`,
  );
  out.push(stages(r.projectionBreakdown));
  out.push(
    `  read models: ${checks.scheduleRows}/${checks.endpoints} schedule rows, ${checks.runRows}/${checks.runsInLog} runs, ${checks.conflictRows}/${checks.hintRejected} conflicts, ${checks.parkedStreams} parked streams — ${checks.ok ? 'match the log' : 'DO NOT MATCH THE LOG'}`,
  );
}
