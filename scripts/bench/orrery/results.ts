import type { PhaseMeters, WindowMeters } from '../meters.js';
import type { Summary } from '../stats.js';
import type { OrreryPipeline } from './pipeline.js';

export interface PipelineReport {
  readonly database: string;
  readonly endpoints: number;
  readonly everyMs: number;
  readonly windowSeconds: number;
  readonly recorded: number;
  readonly dispatched: number;
  readonly failedCalls: number;
  readonly redispatched: number;
  readonly stale: number;
  readonly queueErrors: Record<string, number>;
  readonly stages: Record<string, Summary>;
  readonly ops: Record<string, Summary>;
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
  windowSeconds: number,
  endpoints: number,
  everyMs: number,
  dispatched: number,
  recorded: number,
  keysDeleted: number,
): PipelineReport {
  const { stats } = pipeline;
  return {
    database: pipeline.database,
    endpoints,
    everyMs,
    windowSeconds,
    recorded,
    dispatched,
    failedCalls: stats.failedCalls,
    redispatched: stats.redispatched,
    stale: pipeline.runtime.dispatcher?.stats.stale ?? 0,
    queueErrors: Object.fromEntries(stats.queueErrors),
    stages: stats.stages.summaries(),
    ops: stats.ops.summaries(),
    meters: meters.result,
    keysDeleted,
  };
}
