import type { EventDataInput } from '../events/catalogue.js';
import type { Millis } from '../time.js';
import type { RecordedRun } from './history.js';

/** How a simulated run got its response. */
export type FedKind =
  /** The recorded run at the same time (within the tolerance): its own response. */
  | 'recorded'
  /** No recorded run at that time: the response of the latest recorded run before it (else the first after it). */
  | 'reused'
  /** No recorded response at all for the endpoint: a success with an empty body, assumed. */
  | 'assumed';

export interface Fed {
  readonly kind: FedKind;
  /** The recorded run whose response was fed (null when assumed). */
  readonly fromRunId: string | null;
  /** The response, to record for the simulated run (its run id, times and cascade set by the caller). */
  readonly response: Omit<EventDataInput<'ResponseRecorded'>, 'runId' | 'startedAt' | 'finishedAt'>;
}

const ASSUMED: Fed['response'] = {
  durationMs: 0,
  status: 200,
  ok: true,
  headers: {},
  body: null,
  bodyTruncated: false,
};

/**
 * The response fed back to a simulated run of an endpoint whose slot is `slot` (a cascade's run
 * with the same cause as a recorded one gets that run's, {@link ownResponse}, first). The rule:
 *
 * 1. the recorded run nearest to `slot` within `toleranceMs` that no earlier simulated run took
 *    as its own (on a tie, the earlier): the same run as far as the comparison goes, so its own
 *    response, even when it lies a little after `slot`;
 * 2. else the latest recorded run whose slot is before `slot`: the endpoint's last known answer;
 * 3. else the first recorded run after it;
 * 4. no recorded response at all: a success (200) with an empty body, taking no time, flagged
 *    `assumed`.
 *
 * `runs` are the endpoint's recorded runs that have a response, by slot (any time up to the
 * end of the window, so a run before the window can answer for one at its start); `taken` the
 * run ids earlier simulated runs took by rule 1.
 */
export function responseFor(
  runs: readonly RecordedRun[],
  slot: Millis,
  toleranceMs: number,
  taken: ReadonlySet<string> = new Set(),
): Fed {
  // The first run whose slot is at or after `slot`.
  let lo = 0;
  let hi = runs.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if ((runs[mid]?.slot ?? Infinity) < slot) lo = mid + 1;
    else hi = mid;
  }
  let near: RecordedRun | undefined;
  const consider = (run: RecordedRun) => {
    if (taken.has(run.runId)) return;
    const d = Math.abs(run.slot - slot);
    if (near === undefined || d < Math.abs(near.slot - slot)) near = run;
  };
  for (let i = lo - 1; i >= 0 && slot - (runs[i]?.slot ?? -Infinity) <= toleranceMs; i--) {
    consider(runs[i] as RecordedRun);
  }
  for (let i = lo; i < runs.length && (runs[i]?.slot ?? Infinity) - slot <= toleranceMs; i++) {
    consider(runs[i] as RecordedRun);
  }
  if (near) return fed('recorded', near);
  const before = runs[lo - 1];
  const after = runs[lo];
  if (before) return fed('reused', before);
  if (after) return fed('reused', after);
  return { kind: 'assumed', fromRunId: null, response: ASSUMED };
}
/** The recorded run's own response: the simulated run is that run (same cause, see `causeOf`). */
export const ownResponse = (run: RecordedRun): Fed => fed('recorded', run);

function fed(kind: FedKind, run: RecordedRun): Fed {
  const data = run.response?.data;
  if (!data) return { kind: 'assumed', fromRunId: null, response: ASSUMED };
  return {
    kind,
    fromRunId: run.runId,
    response: {
      durationMs: data.durationMs,
      status: data.status,
      ok: data.ok,
      headers: data.headers,
      body: data.body,
      bodyTruncated: data.bodyTruncated,
      ...(data.error === undefined ? {} : { error: data.error }),
    },
  };
}
