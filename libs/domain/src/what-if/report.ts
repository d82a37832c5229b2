import type { HintSource } from '../events/catalogue.js';

/** A run in a what-if report: its id, its slot (when it was due) and why it ran. */
export interface RunView {
  readonly runId: string;
  readonly at: string;
  readonly reason: string;
}

/** A recorded run the simulation made at another time. */
export interface MovedRun {
  readonly recorded: RunView;
  readonly simulated: RunView;
  /** Simulated minus recorded, in ms. */
  readonly shiftMs: number;
}

/** A count, with the first items (up to the report's list limit). */
export interface Listed<T> {
  readonly count: number;
  readonly items: T[];
}

/** A recorded proposal whose outcome the simulation changed. */
export interface ProposalChange {
  readonly proposalId: string;
  readonly kind: 'interval' | 'oneShot' | 'pause' | 'clear';
  readonly source: HintSource;
  /** When it was decided. */
  readonly at: string;
  readonly recorded: { readonly outcome: 'accepted' | 'rejected'; readonly rule: string | null };
  readonly simulated: {
    readonly outcome: 'accepted' | 'rejected' | 'dropped' | 'kept' | 'not_decided';
    readonly rule: string | null;
    readonly detail: string | null;
  };
}

/** Counts of one side of the comparison. */
export interface SideCounts {
  readonly runs: number;
  readonly skipped: number;
  readonly refusals: number;
}

/** One simulated endpoint: its recorded runs against the simulated ones. */
export interface EndpointWhatIf {
  readonly endpointId: string;
  readonly jobId: string;
  readonly recorded: SideCounts;
  readonly simulated: SideCounts;
  /** Runs matched within the tolerance: the same run in both. */
  readonly unchanged: number;
  readonly moved: Listed<MovedRun>;
  /** Simulated only. */
  readonly appeared: Listed<RunView>;
  /** Recorded only. */
  readonly vanished: Listed<RunView>;
  readonly proposals: { readonly decided: number; readonly changed: Listed<ProposalChange> };
  /** How the simulated runs got their responses (see `responseFor`). */
  readonly responses: {
    readonly recorded: number;
    readonly reused: number;
    readonly assumed: number;
    readonly assumedRuns: string[];
  };
  /** The move window used: half the median gap between recorded runs, unless the request set one. */
  readonly moveWindowMs: number;
  readonly summary: string;
}

export interface WhatIfTotals {
  readonly recordedRuns: number;
  readonly simulatedRuns: number;
  readonly unchanged: number;
  readonly moved: number;
  readonly appeared: number;
  readonly vanished: number;
  readonly proposalsChanged: number;
  readonly reusedResponses: number;
  readonly assumedResponses: number;
}

/** What a what-if answers: per endpoint, and in total. */
export interface WhatIfReport {
  readonly window: { readonly from: string; readonly to: string };
  readonly toleranceMs: number;
  readonly endpoints: EndpointWhatIf[];
  readonly totals: WhatIfTotals;
  readonly summary: string;
}

/** One line for an endpoint: the counts a reader scans first. */
export function endpointSummary(e: Omit<EndpointWhatIf, 'summary'>): string {
  const runs =
    `${e.endpointId}: ${e.recorded.runs} recorded → ${e.simulated.runs} simulated runs ` +
    `(${e.unchanged} unchanged, ${e.moved.count} moved, ${e.appeared.count} appeared, ` +
    `${e.vanished.count} vanished)`;
  const parts = [runs];
  if (e.proposals.decided > 0) {
    parts.push(`${e.proposals.changed.count} of ${e.proposals.decided} proposals changed`);
  }
  const { reused, assumed } = e.responses;
  if (reused + assumed > 0) parts.push(`responses: ${reused} reused, ${assumed} assumed`);
  return parts.join('; ');
}

/** The totals over the endpoints, and their line. */
export function totalsOf(endpoints: readonly EndpointWhatIf[]): {
  totals: WhatIfTotals;
  summary: string;
} {
  const sum = (f: (e: EndpointWhatIf) => number) => endpoints.reduce((n, e) => n + f(e), 0);
  const totals: WhatIfTotals = {
    recordedRuns: sum((e) => e.recorded.runs),
    simulatedRuns: sum((e) => e.simulated.runs),
    unchanged: sum((e) => e.unchanged),
    moved: sum((e) => e.moved.count),
    appeared: sum((e) => e.appeared.count),
    vanished: sum((e) => e.vanished.count),
    proposalsChanged: sum((e) => e.proposals.changed.count),
    reusedResponses: sum((e) => e.responses.reused),
    assumedResponses: sum((e) => e.responses.assumed),
  };
  const t = totals;
  const same =
    t.moved + t.appeared + t.vanished + t.proposalsChanged === 0 ? ': no difference' : '';
  const summary =
    `${endpoints.length} endpoint${endpoints.length === 1 ? '' : 's'}, ` +
    `${t.recordedRuns} recorded → ${t.simulatedRuns} simulated runs ` +
    `(${t.unchanged} unchanged, ${t.moved} moved, ${t.appeared} appeared, ${t.vanished} vanished); ` +
    `${t.proposalsChanged} proposals changed${same}`;
  return { totals, summary };
}
