import { toIso, type Millis } from '../time.js';
import type { RecordedRun } from './history.js';
import {
  endpointSummary,
  type EndpointWhatIf,
  type Listed,
  type MovedRun,
  type ProposalChange,
  type RunView,
} from './report.js';
import type { ProposalResult } from './simulate.js';
import type { SimulatedRun } from './world.js';

interface Timed {
  readonly at: Millis;
}

/** Candidates looked at on each side of a run when matching (keeps matching linear). */
const NEAREST = 4;

/**
 * Pairs runs of two sorted lists whose times lie within `windowMs`, nearest pairs first (ties:
 * the earlier simulated run, then the earlier recorded one), each run at most once. Returns the
 * pairs and the indexes left over on each side.
 */
export function matchRuns<R extends Timed, S extends Timed>(
  recorded: readonly R[],
  simulated: readonly S[],
  windowMs: number,
): { pairs: [R, S][]; recorded: R[]; simulated: S[] } {
  const candidates: [number, number, number][] = [];
  for (const [si, s] of simulated.entries()) {
    let lo = 0;
    let hi = recorded.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if ((recorded[mid]?.at ?? Infinity) < s.at) lo = mid + 1;
      else hi = mid;
    }
    for (let ri = lo; ri < Math.min(lo + NEAREST, recorded.length); ri++) {
      const d = (recorded[ri]?.at ?? Infinity) - s.at;
      if (d <= windowMs) candidates.push([d, si, ri]);
    }
    for (let ri = lo - 1; ri >= Math.max(0, lo - NEAREST); ri--) {
      const d = s.at - (recorded[ri]?.at ?? -Infinity);
      if (d <= windowMs) candidates.push([d, si, ri]);
    }
  }
  candidates.sort((a, b) => a[0] - b[0] || a[1] - b[1] || a[2] - b[2]);
  const usedR = new Set<number>();
  const usedS = new Set<number>();
  const pairs: [R, S][] = [];
  for (const [, si, ri] of candidates) {
    if (usedR.has(ri) || usedS.has(si)) continue;
    usedR.add(ri);
    usedS.add(si);
    pairs.push([recorded[ri] as R, simulated[si] as S]);
  }
  pairs.sort((a, b) => a[0].at - b[0].at);
  return {
    pairs,
    recorded: recorded.filter((_, i) => !usedR.has(i)),
    simulated: simulated.filter((_, i) => !usedS.has(i)),
  };
}

/** Half the median gap between consecutive runs (0 with fewer than two). */
export function halfMedianGap(runs: readonly Timed[]): number {
  const gaps = runs.slice(1).map((run, i) => run.at - (runs[i]?.at ?? run.at));
  if (gaps.length === 0) return 0;
  gaps.sort((a, b) => a - b);
  return Math.floor((gaps[Math.floor((gaps.length - 1) / 2)] ?? 0) / 2);
}

const view = (run: { runId: string; at: Millis; reason: string }): RunView => ({
  runId: run.runId,
  at: toIso(run.at),
  reason: run.reason,
});

const listed = <T>(items: readonly T[], limit: number): Listed<T> => ({
  count: items.length,
  items: items.slice(0, limit),
});

export interface CompareOptions {
  /** The end of the window. */
  readonly to: Millis;
  readonly toleranceMs: number;
  /** Fixed move window; default per endpoint: half the median gap between its recorded runs. */
  readonly moveWindowMs: number | undefined;
  readonly listLimit: number;
}

/**
 * Pairs cascade runs fired by the same recorded upstream responses (the same cause): the same
 * run, whenever each fired — live, a cascade fires a processor hop (and the upstream's dispatch
 * lateness) after the simulation does, which on a busy machine can exceed any tolerance.
 */
function pairByCause(recorded: readonly RecordedRun[], simulated: readonly SimulatedRun[]) {
  const byCause = new Map<string, RecordedRun>();
  for (const run of recorded) {
    if (run.cause !== null && !byCause.has(run.cause)) byCause.set(run.cause, run);
  }
  const pairs: [RecordedRun, SimulatedRun][] = [];
  const rest: SimulatedRun[] = [];
  for (const run of simulated) {
    const same = run.cause === null ? undefined : byCause.get(run.cause);
    if (run.cause === null || same === undefined) {
      rest.push(run);
      continue;
    }
    byCause.delete(run.cause);
    pairs.push([same, run]);
  }
  const paired = new Set(pairs.map(([r]) => r.runId));
  return { pairs, recorded: recorded.filter((run) => !paired.has(run.runId)), simulated: rest };
}

/**
 * One endpoint's recorded runs against its simulated ones. Three passes: cascade runs with the
 * same cause, and then runs within `toleranceMs` of each other, are the same run (unchanged); of
 * the rest, runs within the move window are one run moved; what is left appeared (simulated
 * only) or vanished (recorded only).
 */
export function compareEndpoint(
  endpoint: { readonly endpointId: string; readonly jobId: string },
  recorded: { readonly runs: readonly RecordedRun[]; readonly skipped: number },
  simulated: { readonly runs: readonly SimulatedRun[]; readonly skipped: number },
  proposals: readonly ProposalResult[],
  options: CompareOptions,
): EndpointWhatIf {
  const { to, toleranceMs } = options;
  // Recorded runs after the window count when they are a simulated run's own (its cause, or
  // just after the end within the tolerance); others after it are not compared.
  const timed = <T extends { readonly slot: Millis }>(run: T) => ({ ...run, at: run.slot });
  const near = recorded.runs.filter((run) => run.slot < to + toleranceMs).map(timed);
  const causal = pairByCause(recorded.runs, simulated.runs);
  const matched = matchRuns(
    causal.recorded.filter((run) => run.slot < to + toleranceMs).map(timed),
    causal.simulated.map(timed),
    toleranceMs,
  );
  const same = {
    pairs: [...causal.pairs.map(([r, s]) => [timed(r), timed(s)] as const), ...matched.pairs],
    recorded: matched.recorded.filter((run) => run.at < to),
    simulated: matched.simulated,
  };
  const moveWindowMs = Math.max(options.toleranceMs, options.moveWindowMs ?? halfMedianGap(near));
  const moved = matchRuns(same.recorded, same.simulated, moveWindowMs);
  const movedRuns: MovedRun[] = moved.pairs.map(([r, s]) => ({
    recorded: view(r),
    simulated: view(s),
    shiftMs: s.at - r.at,
  }));
  const changes = proposals.flatMap((p): ProposalChange[] => {
    const { proposal: was, simulated: is } = p;
    const rule = was.recorded.outcome === 'rejected' ? was.recorded.rule : null;
    const simulatedRule = is.outcome === 'rejected' ? is.rule : null;
    const unchanged =
      is.outcome === 'kept' || (is.outcome === was.recorded.outcome && simulatedRule === rule);
    if (unchanged) return [];
    return [
      {
        proposalId: was.id,
        kind: was.kind,
        source: was.source,
        at: toIso(was.at),
        recorded: { outcome: was.recorded.outcome, rule },
        simulated: {
          outcome: is.outcome,
          rule: simulatedRule,
          detail: 'detail' in is ? is.detail : null,
        },
      },
    ];
  });
  const refusals = (rejected: (p: ProposalResult) => boolean) => proposals.filter(rejected).length;
  const fed = (kind: SimulatedRun['fed']) => simulated.runs.filter((r) => r.fed === kind);
  const diff = {
    ...endpoint,
    recorded: {
      runs: same.pairs.length + same.recorded.length,
      skipped: recorded.skipped,
      refusals: refusals((p) => p.proposal.recorded.outcome === 'rejected'),
    },
    simulated: {
      runs: simulated.runs.length,
      skipped: simulated.skipped,
      refusals: refusals(
        (p) =>
          p.simulated.outcome === 'rejected' ||
          (p.simulated.outcome === 'kept' && p.proposal.recorded.outcome === 'rejected'),
      ),
    },
    unchanged: same.pairs.length,
    moved: listed(movedRuns, options.listLimit),
    appeared: listed(moved.simulated.map(view), options.listLimit),
    vanished: listed(moved.recorded.map(view), options.listLimit),
    proposals: { decided: proposals.length, changed: listed(changes, options.listLimit) },
    responses: {
      recorded: fed('recorded').length,
      reused: fed('reused').length,
      assumed: fed('assumed').length,
      assumedRuns: fed('assumed')
        .slice(0, options.listLimit)
        .map((r) => r.runId),
    },
    moveWindowMs,
  };
  return { ...diff, summary: endpointSummary(diff) };
}
