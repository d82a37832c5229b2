import type { WhatIfReport } from '@orrery/domain';

type Endpoint = WhatIfReport['endpoints'][number];

const time = (iso: string) => iso.slice(11, 23);
const signed = (ms: number) => `${ms > 0 ? '+' : ''}${ms} ms`;

/** Rows of cells as columns: the first left-aligned, numbers right-aligned. */
function table(rows: readonly (readonly string[])[]): string[] {
  const widths =
    rows[0]?.map((_, i) => Math.max(...rows.map((row) => (row[i] ?? '').length))) ?? [];
  return rows.map((row) =>
    row
      .map((cell, i) => (i < 2 ? cell.padEnd(widths[i] ?? 0) : cell.padStart(widths[i] ?? 0)))
      .join('  ')
      .trimEnd(),
  );
}

/** The lists of one endpoint: runs moved, appeared, vanished, proposals changed, assumptions. */
function details(e: Endpoint): string[] {
  const more = (shown: number, count: number) =>
    count > shown ? [`    … ${count - shown} more`] : [];
  const lines: string[] = [];
  if (e.moved.count > 0) {
    lines.push(`  moved (${e.moved.count}):`);
    for (const m of e.moved.items) {
      lines.push(
        `    ${time(m.recorded.at)} → ${time(m.simulated.at)}  ${signed(m.shiftMs)}  ${m.simulated.reason}`,
      );
    }
    lines.push(...more(e.moved.items.length, e.moved.count));
  }
  for (const [label, list] of [
    ['appeared', e.appeared],
    ['vanished', e.vanished],
  ] as const) {
    if (list.count === 0) continue;
    lines.push(`  ${label} (${list.count}):`);
    for (const run of list.items) lines.push(`    ${time(run.at)}  ${run.reason}  ${run.runId}`);
    lines.push(...more(list.items.length, list.count));
  }
  if (e.proposals.changed.count > 0) {
    lines.push(`  proposals changed (${e.proposals.changed.count}):`);
    for (const p of e.proposals.changed.items) {
      const was = p.recorded.rule ? `rejected (${p.recorded.rule})` : p.recorded.outcome;
      const is = p.simulated.rule ? `rejected (${p.simulated.rule})` : p.simulated.outcome;
      lines.push(`    ${time(p.at)}  ${p.proposalId}  ${p.source} ${p.kind}: ${was} → ${is}`);
    }
    lines.push(...more(e.proposals.changed.items.length, e.proposals.changed.count));
  }
  if (e.responses.assumed > 0) {
    lines.push(
      `  ${e.responses.assumed} responses assumed (the endpoint never answered): 200, empty body`,
    );
  }
  return lines.length === 0 ? [] : [`${e.endpointId}:`, ...lines];
}

/** A what-if report for people: the per-endpoint table, the totals, then what changed. */
export function whatIfText(report: WhatIfReport): string {
  const header = [
    'endpoint',
    'job',
    'recorded',
    'simulated',
    'same',
    'moved',
    'appeared',
    'vanished',
    'proposals±',
    'reused',
    'assumed',
  ];
  const row = (e: Endpoint) => [
    e.endpointId,
    e.jobId,
    String(e.recorded.runs),
    String(e.simulated.runs),
    String(e.unchanged),
    String(e.moved.count),
    String(e.appeared.count),
    String(e.vanished.count),
    String(e.proposals.changed.count),
    String(e.responses.reused),
    String(e.responses.assumed),
  ];
  const t = report.totals;
  const total = [
    'total',
    '',
    String(t.recordedRuns),
    String(t.simulatedRuns),
    String(t.unchanged),
    String(t.moved),
    String(t.appeared),
    String(t.vanished),
    String(t.proposalsChanged),
    String(t.reusedResponses),
    String(t.assumedResponses),
  ];
  return [
    `what-if ${report.window.from} → ${report.window.to} (runs within ${report.toleranceMs} ms are the same run)`,
    '',
    ...table([header, ...report.endpoints.map(row), total]),
    '',
    report.summary,
    ...report.endpoints.flatMap((e) => {
      const lines = details(e);
      return lines.length === 0 ? [] : ['', ...lines];
    }),
  ].join('\n');
}
