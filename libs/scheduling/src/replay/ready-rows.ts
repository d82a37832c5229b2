import type { Conflict } from '../projection/fold-conflicts.js';
import type { RecordedSession } from '../projection/planner-reads.js';
import type { RunDoc } from './memory-fold.js';
import { runsCopyData } from './runs-copy.js';

/** Runs per COPY (a few MB of its binary rows). */
const RUNS_CHUNK = 20_000;

/** Rows the fold has finished with, to write while it goes on. */
export interface Ready {
  readonly runs: readonly RunDoc[];
  readonly conflicts: readonly Conflict[];
  readonly sessions: readonly RecordedSession[];
}

/**
 * The same rows as they are written: the runs already as the bytes their COPY sends — made where
 * the fold runs, so a worker thread hands over bytes, not thousands of objects.
 */
export interface ReadyRows {
  readonly runs: readonly Uint8Array[];
  readonly conflicts: readonly Conflict[];
  readonly sessions: readonly RecordedSession[];
}

export const rowsOf = (ready: Ready): ReadyRows => ({
  runs: slices(ready.runs, RUNS_CHUNK).map(runsCopyData),
  conflicts: ready.conflicts,
  sessions: ready.sessions,
});

export function slices<T>(items: readonly T[], size: number): T[][] {
  const out: T[][] = [];
  for (let i = 0; i < items.length; i += size) out.push(items.slice(i, i + size));
  return out;
}
