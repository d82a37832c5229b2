/** The results JSON's `verdict`: each goal, its target, the value reached, met or missed (null: not measured). */
import type { ApiResult } from './api/result.js';
import { APPLY_GOAL_SECONDS, type PipelineApplyResult } from './apply/result.js';
import { COMMAND_TARGET_P99_MS, type CommandsResult } from './commands/phase.js';
import { FLAT_GROWTH_PCT, type SoakResult } from './distributed/soak.js';
import { LOG_FLAT_GOAL_RATIO, type LogResult } from './log/result.js';
import type { LatenessResult } from './orrery.js';
import { REPLAY_GOAL_EVENTS_PER_SECOND, type ReplayResult } from './replay/result.js';
import { TARGETS, type BenchResults } from './report.js';
import type { TracingResult } from './tracing/result.js';

export interface VerdictInputs {
  /** Embedded pipeline runs/s over the baseline's. */
  readonly ratio: number | null;
  /** The distributed topology's best runs/s over the baseline's. */
  readonly distributedRatio: number | null;
  readonly lateness: LatenessResult | null;
  readonly commands: CommandsResult | null;
  readonly pipeline: PipelineApplyResult | null;
  readonly replay: ReplayResult | null;
  readonly api: ApiResult | null;
  readonly tracing: TracingResult | null;
  readonly soak: SoakResult | null;
  /** The log phase (absent or null when not run). */
  readonly log?: LogResult | null;
}

export function verdictOf(r: VerdictInputs): BenchResults['verdict'] {
  const { ratio, distributedRatio, lateness, commands, pipeline, replay, api, tracing, soak } = r;
  // The headline: slot → HTTP call start (the read model's started_at), never early.
  const p99 = lateness ? lateness.callStartLateness.p99 : null;
  const early = lateness ? lateness.earlyCalls : null;
  const commandP99 = commands ? commands.long.command.p99 : null;
  return {
    ratio: {
      target: TARGETS.ratio,
      reached: ratio,
      met: ratio === null ? null : ratio >= TARGETS.ratio,
    },
    memoryFlat: {
      target: FLAT_GROWTH_PCT,
      reached: soak?.worstGrowthPct ?? null,
      met: soak?.flat ?? null,
    },
    // RSS swings with the garbage between full GCs; the heap left live after one is what a
    // leak would grow (see the soak's report).
    memoryLeakFree: {
      target: FLAT_GROWTH_PCT,
      reached: soak?.worstLiveHeapGrowthPct ?? null,
      met: soak?.leakFree ?? null,
    },
    distributedRatio: {
      target: TARGETS.ratio,
      reached: distributedRatio,
      met: distributedRatio === null ? null : distributedRatio >= TARGETS.ratio,
    },
    p99LatenessMs: {
      target: TARGETS.p99LatenessMs,
      reached: p99,
      met: p99 === null ? null : p99 <= TARGETS.p99LatenessMs,
    },
    neverEarly: {
      target: 0,
      reached: early,
      met: early === null ? null : early === 0,
    },
    p99CommandMs: {
      target: COMMAND_TARGET_P99_MS,
      reached: commandP99,
      met: commandP99 === null ? null : commandP99 <= COMMAND_TARGET_P99_MS,
    },
    pipelineApplySeconds: {
      target: APPLY_GOAL_SECONDS,
      reached: pipeline?.apply.seconds ?? null,
      met: pipeline?.goal.met ?? null,
    },
    replayEventsPerSecond: {
      target: REPLAY_GOAL_EVENTS_PER_SECOND,
      reached: replay?.replay.perSecond ?? null,
      met: replay?.goal.met ?? null,
    },
    apiReadP99Ms: {
      target: api?.goals.p99.target ?? null,
      reached: api?.goals.p99.reached ?? null,
      met: api?.goals.p99.met ?? null,
    },
    apiReadShareOfBare: {
      target: api?.goals.shareOfBare.target ?? null,
      reached: api?.goals.shareOfBare.reached ?? null,
      met: api?.goals.shareOfBare.met ?? null,
    },
    tracingOffCostsNothingMeasurable: {
      definition: tracing?.offCostsNothing.definition ?? null,
      target: tracing?.offCostsNothing.noisePct ?? null,
      reached: tracing?.offCostsNothing.costPct ?? null,
      met: tracing?.offCostsNothing.met ?? null,
    },
    logReadsFlat: {
      target: LOG_FLAT_GOAL_RATIO,
      reached: r.log?.goal.reached ?? null,
      met: r.log?.goal.met ?? null,
    },
  };
}
