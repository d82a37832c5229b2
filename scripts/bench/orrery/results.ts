import type { PhaseMeters, WindowMeters } from '../meters.js';
import type { Summary } from '../stats.js';
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
  /** runs.lateness_ms (dispatched_at − scheduled_for) of the window's slots, from the read model. */
  readonly dispatchLateness: Summary;
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
