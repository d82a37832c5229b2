/** The replay phase's tables on stdout. */
import { pct, table } from '../table.js';
import type { ReplayResult } from './result.js';

const rate = (n: number) => Math.round(n).toLocaleString('en');

export function printReplay(out: string[], r: ReplayResult): void {
  const { generated: g, baselines: b, rebuild: x, checks, server } = r;
  out.push(
    `\nREPLAY: the read models rebuilt from position 0 (SchedulingProjection through a ProcessorHost, batches of ${x.batchSize}) over ${x.events.toLocaleString('en')} generated events`,
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
      ['pass over the whole log', 's', 'events/s', 'replay at'],
      [
        [
          'raw SQL rows (no decoding)',
          b.raw.seconds,
          rate(b.raw.perSecond),
          pct(r.ratio.toRawRows * 100),
        ],
        ['decoding alone (decodeEventRow)', b.decode.seconds, rate(b.decode.perSecond), null],
        [
          'store.readAll (decoded)',
          b.readAll.seconds,
          rate(b.readAll.perSecond),
          pct(r.ratio.toReadAll * 100),
        ],
        ['REPLAY (rebuild)', x.seconds, rate(x.perSecond), null],
      ],
    ),
  );
  out.push(
    `  replay ${rate(x.perSecond)} events/s (goal ≥ ${rate(r.goal.eventsPerSecond)}: ${r.goal.met ? 'MET' : 'MISSED'}) — at ${pct(r.ratio.toReadAll * 100)} of reading the log (readAll), ${pct(r.ratio.toRawRows * 100)} of raw rows`,
  );
  out.push(
    `  batches ${x.batches.count} (p50 ${x.batches.p50Ms.toFixed(0)} ms, p99 ${x.batches.p99Ms.toFixed(0)} ms) · events handled ${x.handled}, skipped ${x.skipped}, parked ${x.parked}`,
  );
  out.push('\n  where the rebuild time goes');
  out.push(
    table(
      ['stage', 'ms', 'share', 'µs/event', 'from'],
      r.breakdown.map((s) => [s.stage, s.ms, pct(s.share * 100), s.usPerEvent, s.source]),
    ),
  );
  const cpu = x.meters.cpu;
  if (cpu) {
    out.push(
      `  CPU during the rebuild (% of one core): node ${pct(cpu.nodeProcessPct)} (main loop ${cpu.mainLoopUtilisation.toFixed(2)}), postgres ${pct(cpu.postgresPct)}, machine ${pct(cpu.machineBusyPct)} of ${cpu.cores} cores`,
    );
  }
  const other = x.statements.filter(
    (s) => s.kind.startsWith('lease') || s.kind.startsWith('parked'),
  );
  if (other.length > 0) {
    out.push(
      `  outside the batches: ${other.map((s) => `${s.kind} ${s.count}× ${s.ms.toFixed(0)} ms`).join(', ')}`,
    );
  }
  out.push(
    `  read models: ${checks.scheduleRows}/${checks.endpoints} schedule rows, ${checks.runRows}/${checks.runsInLog} runs, ${checks.conflictRows}/${checks.hintRejected} conflicts, ${checks.parkedStreams} parked streams — ${checks.ok ? 'match the log' : 'DO NOT MATCH THE LOG'}`,
  );
}
