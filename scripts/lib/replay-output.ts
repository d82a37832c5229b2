/** What `npm run replay` prints: a progress line on stderr, the report as a table or JSON. */
import type { Difference, ProcessorStatus, ReplayProgress, ReplayReport } from '@orrery/scheduling';

const count = (n: number) => n.toLocaleString('en-US');
const seconds = (ms: number) => `${(ms / 1000).toFixed(ms < 10_000 ? 1 : 0)} s`;
const shown = (value: unknown) => {
  const text = value === undefined ? '(absent)' : JSON.stringify(value);
  return text.length > 60 ? `${text.slice(0, 57)}…` : text;
};

/**
 * A progress line, redrawn in place (`\r`) on a terminal at most every 100 ms: events read, rate
 * and ETA. Off a terminal (a log file, CI), one line every 10 s. `done()` clears it.
 */
export function progressLine(stream: NodeJS.WriteStream = process.stderr) {
  let last = 0;
  let width = 0;
  const tty = stream.isTTY === true;
  return {
    update(p: ReplayProgress): void {
      const now = performance.now();
      if (now - last < (tty ? 100 : 10_000) && p.position < p.through) return;
      last = now;
      const rate = p.read / Math.max(p.elapsedMs / 1000, 0.001);
      const left = Math.max(p.total - p.read, 0);
      const eta =
        p.position >= p.through ? 'done' : `ETA ${seconds((left / Math.max(rate, 1)) * 1000)}`;
      const percent = Math.floor((p.read / Math.max(p.total, 1)) * 100);
      const line = `replaying: ${count(p.read)}/${count(p.total)} events (${percent}%), ${count(Math.round(rate))} events/s, ${eta}`;
      if (!tty) return void stream.write(`${line}\n`);
      stream.write(`\r${line.padEnd(width)}`);
      width = line.length;
    },
    done(): void {
      if (tty && width > 0) stream.write(`\r${' '.repeat(width)}\r`);
    },
  };
}

const keyOf = (d: Difference) => Object.values(d.key).join('/');

/** One line per difference (per changed value), in columns as wide as the widest key. */
function differenceLines(differences: readonly Difference[]): string[] {
  const width = Math.max(0, ...differences.map((d) => keyOf(d).length)) + 2;
  return differences.flatMap((d) => {
    const head = `  ${d.table.padEnd(18)}${keyOf(d).padEnd(width)}${d.kind.padEnd(9)}`;
    if (d.kind === 'missing') return [`${head}in the log, not in the read model`];
    if (d.kind === 'extra') return [`${head}in the read model, not in the log`];
    const indent = ' '.repeat(head.length);
    return d.changes.map(
      (c, i) => `${i === 0 ? head : indent}${c.path}: ${shown(c.live)} → ${shown(c.replayed)}`,
    );
  });
}

/** The report for people. */
export function reportLines(report: ReplayReport): string[] {
  const rate = Math.round(report.events / Math.max(report.replayMs / 1000, 0.001));
  const lines = [
    `replayed ${count(report.events)} events through position ${report.through} ` +
      `(head ${report.head}) into ${report.shadow} in ${seconds(report.replayMs)} ` +
      `(${count(rate)} events/s), compared in ${seconds(report.compareMs)}`,
  ];
  const t = report.timings;
  lines.push(
    `  reading the log ${seconds(t.readMs)}, decoding ${seconds(t.decodeMs)}, folding ` +
      `${seconds(t.foldMs)}, waiting for writes ${seconds(t.writeWaitMs)}, final writes ` +
      `${seconds(t.finishMs)}`,
  );
  if (report.streams) lines.push(`  read only the streams ${report.streams.join(', ')}`);
  if (report.notCompared) {
    const { after, through } = report.notCompared;
    lines.push(
      `  not compared: rows that events ${after + 1}–${through} changed ` +
        `(the projection is at ${report.livePosition}, the replay at ${report.through})`,
    );
  }
  for (const p of report.parked) {
    lines.push(`  parked by the replay: ${p.streamId} at ${p.position}: ${p.error}`);
  }
  lines.push(
    '',
    `  ${'table'.padEnd(17)}${'live'.padStart(10)}${'replayed'.padStart(10)}${'differences'.padStart(13)}`,
  );
  for (const t of report.tables) {
    lines.push(
      `  ${t.table.padEnd(17)}${String(t.live).padStart(10)}${String(t.replayed).padStart(10)}${String(t.differences).padStart(13)}`,
    );
  }
  const total = report.tables.reduce((n, t) => n + t.differences, 0);
  lines.push('');
  if (total === 0) {
    lines.push(
      report.notCompared
        ? '  no differences among the rows compared'
        : '  no differences: the read models are the fold of the log',
    );
  } else {
    const listed = report.differences.length;
    lines.push(
      `  ${count(total)} difference${total === 1 ? '' : 's'}` +
        `${listed < total ? ` (the first ${listed} of each table listed)` : ''} — live → log:`,
    );
    lines.push(...differenceLines(report.differences));
  }
  if (report.swap) {
    lines.push(
      '',
      report.swap.swapped
        ? `  swapped in: the read models are the replay's; the projection resumes after ${report.swap.position}`
        : `  swap refused: ${report.swap.reason}`,
    );
  }
  return lines;
}

/** Each processor's position, lag and parked streams; whether one is stalled (waiting > 30 s). */
export function statusLines(status: { head: number; processors: readonly ProcessorStatus[] }): {
  lines: string[];
  stalled: boolean;
} {
  let stalled = false;
  const lines = status.processors.map((p) => {
    const waiting =
      p.lag === 0
        ? 'caught up'
        : `${p.lag} events behind, the oldest waiting ${Math.round(p.waitingMs / 1000)} s`;
    stalled ||= p.waitingMs > 30_000;
    return (
      `  processor ${p.name}: at ${p.position} of ${status.head}, ${waiting}` +
      `${p.active ? '' : ', not running'}${p.parked > 0 ? `, ${p.parked} streams parked` : ''}`
    );
  });
  if (stalled) lines.push('  a processor is stalled: its events wait for more than 30 s');
  return { lines, stalled };
}
