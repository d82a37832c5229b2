/** The log phase's figures, as the results JSON holds them. */
import type { Summary } from '../stats.js';

/**
 * The goal: reads stay flat as the log grows — each read's p99 at the largest log within this
 * factor of its p99 at the smallest.
 */
export const LOG_FLAT_GOAL_RATIO = 2;
/** p99s under this count as this (ms): sub-millisecond jitter is not growth. */
export const LOG_FLAT_FLOOR_MS = 1;

export interface LogSizes {
  /** `pg_total_relation_size('events')` over the events: table, TOAST and indexes. */
  readonly bytesPerEvent: number;
  /** Heap and TOAST alone. */
  readonly tableBytesPerEvent: number;
  /** Every index together. */
  readonly indexBytesPerEvent: number;
  /** Each index of `events`, bytes per event. */
  readonly byIndex: Readonly<Record<string, number>>;
  readonly totalBytes: number;
}

export interface LogStep {
  /** Events in the log (its head). */
  readonly events: number;
  /** Cohorts written whole, the seed's included: 1 000 endpoints each. */
  readonly cohorts: number;
  /** Growing the log to this size from the previous step, s (INSERT … SELECT). */
  readonly growSeconds: number;
  readonly growEventsPerSecond: number;
  /** `VACUUM (ANALYZE) events` after growing, s (autovacuum's work, done at once). */
  readonly vacuumSeconds: number;
  readonly sizes: LogSizes;
  /** Each read, ms per call. */
  readonly reads: Readonly<Record<string, Summary>>;
}

export interface LogFlatness {
  readonly read: string;
  readonly p99FirstMs: number;
  readonly p99LastMs: number;
  /** max(p99 last, floor) / max(p99 first, floor). */
  readonly ratio: number;
  readonly flat: boolean;
}

export interface LogResult {
  readonly seed: {
    readonly events: number;
    readonly seconds: number;
    readonly eventsPerSecond: number;
    readonly endpoints: number;
    readonly jobs: number;
    readonly tenants: number;
    /** Seed rows each cohort copies (its endpoint and job streams). */
    readonly rowsPerCohort: number;
    readonly byType: Readonly<Record<string, number>>;
  };
  readonly steps: readonly LogStep[];
  /** From the first step to the last, per read. */
  readonly flatness: readonly LogFlatness[];
  readonly goal: {
    readonly ratio: number;
    readonly floorMs: number;
    /** The read that grew most, and its ratio. */
    readonly worstRead: string | null;
    readonly reached: number | null;
    readonly met: boolean | null;
  };
  /** Growing every step, s (the seed excluded). */
  readonly totalGrowSeconds: number;
}

export function flatnessOf(steps: readonly LogStep[]): readonly LogFlatness[] {
  const first = steps[0];
  const last = steps.at(-1);
  if (!first || !last || first === last) return [];
  return Object.keys(first.reads).flatMap((read) => {
    const a = first.reads[read];
    const b = last.reads[read];
    if (!a || !b) return [];
    const ratio = Math.max(b.p99, LOG_FLAT_FLOOR_MS) / Math.max(a.p99, LOG_FLAT_FLOOR_MS);
    return [
      { read, p99FirstMs: a.p99, p99LastMs: b.p99, ratio, flat: ratio <= LOG_FLAT_GOAL_RATIO },
    ];
  });
}

export function goalOf(flatness: readonly LogFlatness[]): LogResult['goal'] {
  const worst = [...flatness].sort((a, b) => b.ratio - a.ratio)[0];
  return {
    ratio: LOG_FLAT_GOAL_RATIO,
    floorMs: LOG_FLAT_FLOOR_MS,
    worstRead: worst?.read ?? null,
    reached: worst?.ratio ?? null,
    met: worst ? worst.ratio <= LOG_FLAT_GOAL_RATIO : null,
  };
}
