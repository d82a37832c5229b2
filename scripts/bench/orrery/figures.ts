/**
 * The pipeline's figures, read from the meters the runtime records into — the instruments an
 * operator's exporter gets (docs/observability.md). Durations are recorded in seconds and
 * shown in ms.
 */
import { EVENT_STORE_ATTRIBUTES, EVENT_STORE_METRICS } from '@orrery/event-store';
import {
  DISPATCH_OUTCOME,
  DISPATCHER_METRICS,
  EXECUTOR_ATTRIBUTES,
  EXECUTOR_METRICS,
} from '@orrery/scheduling';
import type { HistogramSummary, MetricsSnapshot } from '@orrery/testkit';
import { EMPTY, type Summary } from '../stats.js';

/** Per-run stages, in pipeline order, each from one instrument. */
export const STAGES = {
  dispatchLateness: 'slot → dispatched (orrery.dispatcher.lateness)',
  dispatchLead: 'dispatched ahead → its start (orrery.dispatcher.lead)',
  queueWait: 'dispatched → executor takes the job (orrery.executor.queue.wait)',
  startLateness: 'slot → HTTP call starts (orrery.run.lateness)',
  call: 'HTTP call (orrery.run.duration)',
  record: 'call end → ResponseRecorded appended (orrery.executor.record.duration)',
} as const;

export interface LockFigures {
  readonly holds: number;
  readonly heldMs: number;
  /** Share of the window the ordering lock was held. */
  readonly utilisation: number;
  readonly waitP99Ms: number;
  readonly p50Ms: number;
  readonly p99Ms: number;
}

export interface WindowFigures {
  readonly recorded: number;
  readonly dispatched: number;
  readonly failedCalls: number;
  readonly redispatched: number;
  readonly staleSkips: number;
  /** Claimed endpoints by outcome (orrery.dispatcher.claims). */
  readonly claims: Record<string, number>;
  readonly stages: Record<string, Summary>;
  /** Operation timings (ms) and sizes. */
  readonly ops: Record<string, Summary>;
  readonly orderingLock: LockFigures;
}

const toSummary = (h: HistogramSummary, scale = 1): Summary =>
  h.count === 0
    ? EMPTY
    : {
        count: h.count,
        mean: h.mean * scale,
        min: h.min * scale,
        p50: h.p50 * scale,
        p95: h.p95 * scale,
        p99: h.p99 * scale,
        max: h.max * scale,
      };

/** A duration histogram (s) as ms. */
export const ms = (seen: MetricsSnapshot, name: string, where = {}): Summary =>
  toSummary(seen.histogram(name, where), 1000);

/** Figures of one window (a delta snapshot) of `seconds`. */
export function figuresOf(seen: MetricsSnapshot, seconds: number): WindowFigures {
  const E = EVENT_STORE_METRICS;
  const D = DISPATCHER_METRICS;
  const X = EXECUTOR_METRICS;
  const claims: Record<string, number> = {};
  for (const set of seen.attributeSets(D.claims)) {
    const outcome = String(set[DISPATCH_OUTCOME]);
    claims[outcome] = seen.sum(D.claims, { [DISPATCH_OUTCOME]: outcome });
  }
  const ops: Record<string, Summary> = {
    'dispatcher: round ms': ms(seen, D.roundDuration),
    'dispatcher: endpoints per round': toSummary(seen.histogram(D.roundSize)),
    'dispatcher: enqueue ms': ms(seen, D.enqueueDuration),
    'log: ordering lock wait ms': ms(seen, E.lockWait),
    'log: ordering lock hold ms': ms(seen, E.lockHold),
  };
  const A = EVENT_STORE_ATTRIBUTES;
  const calls = new Set(
    seen.attributeSets(E.appendDuration).map((s) => `${s[A.mode]}|${s[A.eventType]}`),
  );
  for (const call of [...calls].sort()) {
    const [mode = '', type = ''] = call.split('|');
    const where = { [A.mode]: mode, [A.eventType]: type };
    const fn = mode === 'each' ? 'appendEach' : 'appendMany';
    ops[`log: ${fn} [${type}] ms`] = ms(seen, E.appendDuration, where);
    ops[`log: ${fn} [${type}] requests per call`] = toSummary(
      seen.histogram(E.appendBatchSize, where),
    );
  }
  for (const kind of ['all', 'stream']) {
    ops[`log: read ${kind} ms`] = ms(seen, E.readDuration, { [A.readKind]: kind });
  }
  for (const [name, summary] of Object.entries(ops)) if (summary.count === 0) delete ops[name];
  const held = seen.histogram(E.lockHold);
  const recorded = (where = {}) => seen.sum(X.recordedRuns, where);
  return {
    recorded: recorded(),
    dispatched: claims['dispatched'] ?? 0,
    failedCalls: recorded({ [EXECUTOR_ATTRIBUTES.ok]: false }),
    redispatched: recorded({ [EXECUTOR_ATTRIBUTES.redispatched]: true }),
    staleSkips: seen.sum(X.staleSkips),
    claims,
    stages: {
      [STAGES.dispatchLateness]: ms(seen, D.lateness),
      [STAGES.dispatchLead]: ms(seen, D.lead),
      [STAGES.queueWait]: ms(seen, X.queueWait),
      [STAGES.startLateness]: ms(seen, X.runLateness),
      [STAGES.call]: ms(seen, X.runDuration),
      [STAGES.record]: ms(seen, X.recordDuration),
    },
    ops,
    orderingLock: {
      holds: held.count,
      heldMs: held.sum * 1000,
      utilisation: seconds > 0 ? held.sum / seconds : 0,
      waitP99Ms: ms(seen, E.lockWait).p99,
      p50Ms: held.p50 * 1000,
      p99Ms: held.p99 * 1000,
    },
  };
}

/** Dispatched runs no executor has taken yet (from a cumulative snapshot). */
export function totalsOf(totals: MetricsSnapshot): { queued: number } {
  const dispatched = totals.sum(DISPATCHER_METRICS.claims, { [DISPATCH_OUTCOME]: 'dispatched' });
  const X = EXECUTOR_METRICS;
  const taken = totals.histogram(X.queueWait).count + totals.sum(X.staleSkips);
  return { queued: Math.max(0, dispatched - taken) };
}

/** The status line's figures: the last second (a `status` window) and the totals so far. */
export function statusOf(recent: MetricsSnapshot, totals: MetricsSnapshot): string[] {
  const D = DISPATCHER_METRICS;
  const X = EXECUTOR_METRICS;
  const lateness = ms(recent, X.runLateness);
  return [
    `recorded ${String(recent.sum(X.recordedRuns)).padStart(5)}/s`,
    `dispatched ${String(recent.sum(D.claims, { [DISPATCH_OUTCOME]: 'dispatched' })).padStart(5)}/s`,
    `start lateness p50 ${lateness.p50.toFixed(0)} p99 ${lateness.p99.toFixed(0)} ms`,
    `queued ${totalsOf(totals).queued}`,
  ];
}
