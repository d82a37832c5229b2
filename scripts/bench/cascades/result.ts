/** The cascades phase's figures: hop latency from the log, where it goes, and the chains' fate. */
import type { WindowMeters } from '../meters.js';
import type { WindowFigures } from '../orrery/figures.js';
import { summarize, type Summary } from '../stats.js';
import type { HeadRow, HopRow, Repeats } from './log.js';

/** Goals for one hop (upstream recorded → downstream call starts). Printed, never enforced. */
export const CASCADE_GOALS = { p50Ms: 20, p99Ms: 100 } as const;

/** Stages of a hop, in order; the three top-level ones add up to the hop. */
export const HOP_STAGES = {
  hop: 'hop: upstream ResponseRecorded → downstream call starts',
  processor: 'upstream recorded → CascadeTriggered recorded (cascade processor)',
  decided: '  … → decided (triggeredAt: wake, read, load edges, decide)',
  triggerAppend: '  decided → CascadeTriggered recorded (append)',
  dispatch:
    'CascadeTriggered recorded → RunDispatched recorded (0: same append; else projection + dispatcher)',
  claimed: '  … → dispatch decided (dispatchedAt; < 0: decided with the trigger)',
  dispatchAppend: '  dispatch decided → RunDispatched recorded (append)',
  queue: 'RunDispatched recorded → call starts (enqueue, queue, executor)',
} as const;

/** The heads' own scheduled runs, the same phase's reference for a run that is simply due. */
export const HEAD_STAGES = {
  slotToCall: 'head: slot → call starts',
  slotToClaimed: '  slot → claimed (dispatchedAt)',
  claimedToRecorded: '  claimed → RunDispatched recorded',
  queue: '  RunDispatched recorded → call starts',
} as const;

export interface ProcessorFigures {
  /** Events handled in the window. */
  readonly handled: number;
  /** Each event's recordedAt → its batch handled (orrery.processor.lag), ms. */
  readonly lag: Summary;
  /** One batch, handled → checkpoint committed (orrery.processor.batch.duration), ms. */
  readonly batch: Summary;
}

export interface CascadesResult {
  readonly database: string;
  readonly chains: number;
  readonly stagesPerChain: number;
  readonly everyMs: number;
  readonly offeredChainsPerSecond: number;
  readonly windowSeconds: number;
  /** Heads whose slot fell in the window and whose call started. */
  readonly chainsStarted: number;
  /** chainsStarted over the window: below the offered rate, the pipeline could not keep up. */
  readonly startedChainsPerSecond: number;
  /** ResponseRecorded per second in the window, every stage (orrery.executor.recorded.runs). */
  readonly recordedRunsPerSecond: number;
  /** Of those, how many reached each stage (index 0 = the head), after a drain. */
  readonly reachedStage: readonly number[];
  readonly chainsCompleted: number;
  /** Seconds waited after the window for its chains to finish (at most 60). */
  readonly drainSeconds: number;
  /** Hops of the window (upstream recorded in it) that reached their call / did not. */
  readonly hops: number;
  readonly hopsUnfinished: number;
  /** Summaries by HOP_STAGES name, ms. */
  readonly stages: Record<string, Summary>;
  /** The hop by the downstream's depth (1: head → s2), ms. */
  readonly hopByDepth: Record<string, Summary>;
  /** Summaries by HEAD_STAGES name, ms. */
  readonly heads: Record<string, Summary>;
  /** hop p50 / head slot → call starts p50 (same run, same load). */
  readonly ratioToHeads: number | null;
  readonly repeats: Repeats;
  readonly processors: Record<string, ProcessorFigures>;
  /** The runtime's meters over the window (every run, heads and cascades alike). */
  readonly figures: WindowFigures;
  readonly queueErrors: Record<string, number>;
  readonly meters: WindowMeters;
  readonly keysDeleted: number;
  readonly goals: {
    readonly p50Ms: { target: number; reached: number | null; met: boolean | null };
    readonly p99Ms: { target: number; reached: number | null; met: boolean | null };
  };
}

const gap = (from: number | null, to: number | null) =>
  from === null || to === null ? null : to - from;

function summaries<R>(rows: readonly R[], spans: Record<string, (row: R) => number | null>) {
  const out: Record<string, Summary> = {};
  for (const [name, span] of Object.entries(spans)) {
    const values: number[] = [];
    for (const row of rows) {
      const value = span(row);
      if (value !== null) values.push(value);
    }
    out[name] = summarize(values);
  }
  return out;
}

/** Where each finished hop's time went. */
export function hopStages(hops: readonly HopRow[]): Record<string, Summary> {
  const S = HOP_STAGES;
  return summaries(hops, {
    [S.hop]: (h) => gap(h.upstreamRecorded, h.callStarted),
    [S.processor]: (h) => gap(h.upstreamRecorded, h.triggerRecorded),
    [S.decided]: (h) => gap(h.upstreamRecorded, h.triggered),
    [S.triggerAppend]: (h) => gap(h.triggered, h.triggerRecorded),
    [S.dispatch]: (h) => gap(h.triggerRecorded, h.dispatchRecorded),
    [S.claimed]: (h) => gap(h.triggerRecorded, h.dispatched),
    [S.dispatchAppend]: (h) => gap(h.dispatched, h.dispatchRecorded),
    [S.queue]: (h) => gap(h.dispatchRecorded, h.callStarted),
  });
}

export function hopByDepth(hops: readonly HopRow[], stages: number): Record<string, Summary> {
  const out: Record<string, Summary> = {};
  for (let depth = 1; depth < stages; depth += 1) {
    const values = hops
      .filter((h) => h.depth === depth && h.callStarted !== null)
      .map((h) => (h.callStarted ?? 0) - h.upstreamRecorded);
    out[`s${depth} → s${depth + 1}`] = summarize(values);
  }
  return out;
}

export function headStages(heads: readonly HeadRow[]): Record<string, Summary> {
  const S = HEAD_STAGES;
  return summaries(heads, {
    [S.slotToCall]: (h) => gap(h.slot, h.callStarted),
    [S.slotToClaimed]: (h) => gap(h.slot, h.dispatched),
    [S.claimedToRecorded]: (h) => gap(h.dispatched, h.dispatchRecorded),
    [S.queue]: (h) => gap(h.dispatchRecorded, h.callStarted),
  });
}
