import type { PhaseMeters, WindowMeters } from '../meters.js';
import type { Summary } from '../stats.js';
import type { SecondOfLateness } from './by-second.js';
import type { WindowFigures } from './figures.js';
import type { OrreryPipeline } from './pipeline.js';

export interface PipelineReport {
  readonly database: string;
  readonly endpoints: number;
  readonly everyMs: number;
  readonly windowSeconds: number;
  /** The window's figures, from the runtime's meters. */
  readonly figures: WindowFigures;
  readonly queueErrors: Record<string, number>;
  readonly meters: WindowMeters;
  readonly keysDeleted: number;
}

export interface ThroughputResult extends PipelineReport {
  readonly runsPerSecond: number;
  readonly dispatchedPerSecond: number;
  /** Endpoints due and unclaimed each second (min > 0: the pipeline was saturated throughout). */
  readonly dueBacklog: Summary;
}

export interface LatenessResult extends PipelineReport {
  readonly offeredPerSecond: number;
  readonly achievedPerSecond: number;
  readonly slotsOffered: number;
  readonly slotsDispatched: number;
  /** runs.lateness_ms (dispatch lateness, see docs/scheduling.md) of the window's slots. */
  readonly dispatchLateness: Summary;
  /**
   * The headline: slot → HTTP call start of the window's slots, signed, ms, from the read model
   * (`runs.started_at − scheduled_for`). The verdict's p99 is this one's.
   */
  readonly callStartLateness: Summary;
  /** Window slots whose call started (a response recorded). */
  readonly callsStarted: number;
  /** Calls that started before their slot: must be 0 ("never early"). */
  readonly earlyCalls: number;
  /** The earliest of them, ms (negative), or null. */
  readonly earliestMs: number | null;
  /** Seconds from the first slot to the window's start (its index in `bySecond`). */
  readonly windowStartSecond: number;
  /**
   * Call-start lateness of the slots of each second from the first slot (second 0), the
   * warm-up's seconds (the runtime's start) and then the window's.
   */
  readonly bySecond: readonly SecondOfLateness[];
}

export function report(
  pipeline: OrreryPipeline,
  meters: PhaseMeters,
  figures: WindowFigures,
  windowSeconds: number,
  endpoints: number,
  everyMs: number,
  keysDeleted: number,
): PipelineReport {
  return {
    database: pipeline.database,
    endpoints,
    everyMs,
    windowSeconds,
    figures,
    queueErrors: Object.fromEntries(pipeline.queueErrors),
    meters: meters.result,
    keysDeleted,
  };
}
