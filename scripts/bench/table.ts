/** Plain-text tables for stdout. */
import type { Summary } from './stats.js';

export type Cell = string | number | null | undefined;

const show = (cell: Cell): string => {
  if (cell === null || cell === undefined) return '–';
  if (typeof cell === 'number') {
    if (!Number.isFinite(cell)) return '–';
    if (Number.isInteger(cell)) return String(cell);
    return Math.abs(cell) >= 100 ? cell.toFixed(0) : cell.toFixed(1);
  }
  return cell;
};

/** First column left-aligned, the others right-aligned. */
export function table(header: readonly string[], rows: readonly (readonly Cell[])[]): string {
  const text = [header, ...rows.map((r) => r.map(show))];
  const widths = header.map((_, c) => Math.max(...text.map((r) => (r[c] ?? '').length)));
  const line = (r: readonly string[]) =>
    r
      .map((cell, c) => (c === 0 ? cell.padEnd(widths[c] ?? 0) : cell.padStart(widths[c] ?? 0)))
      .join('  ')
      .trimEnd();
  const rule = widths.map((w) => '-'.repeat(w)).join('  ');
  return [line(text[0] ?? []), rule, ...text.slice(1).map(line)].map((l) => `  ${l}`).join('\n');
}

export const pct = (value: number | null | undefined): string =>
  value === null || value === undefined || !Number.isFinite(value) ? '–' : `${value.toFixed(0)}%`;

/** A summary's cells: runs, p50, p95, p99, max, mean. */
export const summaryCells = (s: Summary | undefined): Cell[] =>
  s ? [s.count, s.p50, s.p95, s.p99, s.max, s.mean] : [0, null, null, null, null, null];

/** A goal's verdict as the report prints it. */
export const verdictText = (met: boolean | null): string =>
  met === null ? 'not measured' : met ? 'MET' : 'MISSED';
