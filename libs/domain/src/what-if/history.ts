import type { EventType, HintSlot } from '../events/catalogue.js';
import type { EventOf, RecordedEvent } from '../events/event.js';
import { fromIso, type Millis } from '../time.js';
import { recordedProposal, type RecordedProposal } from './proposals.js';

export type Recorded<T extends EventType> = RecordedEvent & EventOf<T>;

/** A recorded run of a simulated endpoint: its first dispatch and the response it got. */
export interface RecordedRun {
  readonly runId: string;
  /** Its slot (`scheduledFor`): when the governor said it was due. */
  readonly slot: Millis;
  readonly reason: string;
  readonly response: Recorded<'ResponseRecorded'> | null;
  /** A cascade's run: the upstream runs whose responses fired it (see {@link causeOf}); else null. */
  readonly cause: string | null;
}

/**
 * What fired a cascade, as one comparable value: the run ids of the upstream responses it took
 * (one per edge of a fan-in), in order. Two cascade runs with the same cause are the same run,
 * whenever each fired.
 */
export const causeOf = (upstreamRunIds: readonly string[]): string =>
  [...upstreamRunIds].sort().join(' ');

/**
 * A recorded input the simulation takes as it was, at its time: what people, planners, jobs and
 * upstreams outside the scope did. Everything the governor, the dispatcher, the executor and the
 * cascade rules produced (dispatches, responses, skips, observations, cascades) is not an input:
 * the simulation makes its own.
 */
export type Input =
  /** A registration or reconfiguration: its config gets the endpoint's override. */
  | {
      readonly kind: 'config';
      readonly endpointId: string;
      readonly event: Recorded<'EndpointRegistered' | 'EndpointReconfigured'>;
    }
  | { readonly kind: 'archive'; readonly endpointId: string; readonly reason: string }
  /** Folded as recorded: a user's pause or resume, an edge declared or removed. */
  | { readonly kind: 'evolve'; readonly endpointId: string; readonly event: RecordedEvent }
  /** A user's clear of hints (not a proposal): cleared if the simulation holds them. */
  | {
      readonly kind: 'clear';
      readonly endpointId: string;
      readonly slots: readonly HintSlot[];
      readonly reason: string;
    }
  | {
      readonly kind: 'proposal';
      readonly endpointId: string;
      readonly proposal: RecordedProposal;
      readonly position: number;
    }
  /**
   * A recorded response taken as it was: of a run a simulated endpoint dispatched before the
   * window (`simulated`), or of an upstream outside the scope (its cascades are decided again).
   */
  | {
      readonly kind: 'response';
      readonly endpointId: string;
      readonly simulated: boolean;
      readonly event: Recorded<'ResponseRecorded'>;
      /**
       * A response recorded shortly before the window, observed again at its start: its
       * downstreams may have observed it only after `from` (a processor hop), and a downstream
       * that already had ignores it (by position).
       */
      readonly before?: true;
    }
  | { readonly kind: 'job'; readonly jobId: string; readonly event: RecordedEvent };

export interface Agendum {
  readonly at: Millis;
  readonly position: number;
  readonly input: Input;
}

/** How far before the window responses are observed again (see the `before` input). */
export const LOOKBACK_MS = 60_000;

/** A response recorded in the lookback before `from`, as an input at `from`. */
const lookedBack = (endpointId: string, event: RecordedEvent, from: Millis): Agendum[] => {
  if (event.type !== 'ResponseRecorded' || event.data.test) return [];
  const at = recordedAtOf(event);
  if (at < from - LOOKBACK_MS || at >= from) return [];
  const input: Input = { kind: 'response', endpointId, simulated: false, event, before: true };
  return [{ at: from, position: event.position, input }];
};

/** One simulated endpoint's stream, split at the start of the window. */
export interface SplitStream {
  /** The prefix recorded before `from`: folded, it is the state the simulation starts from. */
  readonly before: readonly RecordedEvent[];
  readonly agenda: readonly Agendum[];
  /** Every recorded run with a response, by slot: the responses the simulation feeds back. */
  readonly responses: readonly RecordedRun[];
  /**
   * The runs whose slot lies in the window or after it, and the runs whose slot a decision
   * recorded in it set (a cascade fired, a one-shot hint accepted; see `splitStream`). The
   * comparison keeps those just after it that match a simulated run within the tolerance or by
   * cause: a cascade fires a hop later live.
   */
  readonly runs: readonly RecordedRun[];
  readonly skipped: number;
}

const recordedAtOf = (event: RecordedEvent): Millis => fromIso(event.recordedAt);

/** The longest prefix of `events` recorded before `from`, and the rest. */
export function splitAt(events: readonly RecordedEvent[], from: Millis) {
  const end = events.findIndex((event) => recordedAtOf(event) >= from);
  const cut = end === -1 ? events.length : end;
  return { before: events.slice(0, cut), after: events.slice(cut) };
}

/** Splits a simulated endpoint's stream: its state at `from`, its inputs, its recorded runs. */
export function splitStream(
  endpointId: string,
  events: readonly RecordedEvent[],
  window: { readonly from: Millis; readonly to: Millis },
): SplitStream {
  const { before, after } = splitAt(events, window.from);
  const dispatchedBefore = new Set(
    before.flatMap((e) => (e.type === 'RunDispatched' ? [e.data.runId] : [])),
  );
  const agenda: Agendum[] = before.flatMap((event) => lookedBack(endpointId, event, window.from));
  const add = (event: RecordedEvent, input: Input, at = recordedAtOf(event)) => {
    if (at < window.to) agenda.push({ at, position: event.position, input });
  };
  let skipped = 0;
  for (const event of after) {
    switch (event.type) {
      case 'EndpointRegistered':
      case 'EndpointReconfigured':
        add(event, { kind: 'config', endpointId, event });
        break;
      case 'EndpointArchived':
        add(event, { kind: 'archive', endpointId, reason: event.data.reason });
        break;
      case 'Resumed':
      case 'DependencyDeclared':
      case 'DependencyRemoved':
        add(event, { kind: 'evolve', endpointId, event });
        break;
      case 'Paused':
      case 'HintsCleared':
      case 'HintProposed':
      case 'HintRejected': {
        const proposal = recordedProposal(event);
        if (proposal !== null) {
          add(
            event,
            { kind: 'proposal', endpointId, proposal, position: event.position },
            proposal.at,
          );
        } else if (event.type === 'Paused') {
          add(event, { kind: 'evolve', endpointId, event });
        } else if (event.type === 'HintsCleared') {
          add(event, {
            kind: 'clear',
            endpointId,
            slots: event.data.slots,
            reason: event.data.reason,
          });
        }
        break;
      }
      case 'ResponseRecorded':
        if (!event.data.test && dispatchedBefore.has(event.data.runId)) {
          add(event, { kind: 'response', endpointId, simulated: true, event });
        }
        break;
      case 'RunSkipped': {
        const at = fromIso(event.data.scheduledFor);
        if (at >= window.from && at < window.to) skipped++;
        break;
      }
      default:
        // Dispatches, responses, observations, cascades, expiries: the simulation's own.
        break;
    }
  }
  // A run is in the window by its slot, and also when the decision that set its slot is not in
  // the prefix: a cascade that fired, a one-shot hint accepted. The simulation takes that
  // decision again, at `from` at the earliest; live it was taken a round trip before it was
  // recorded, so the run's slot can lie just before `from`.
  const oneShots = new Set(
    after.flatMap((e) =>
      e.type === 'HintProposed' && e.data.slot === 'oneShot' ? [e.data.hintId] : [],
    ),
  );
  const decidedInWindow = new Set(
    after.flatMap((e) => {
      if (e.type === 'CascadeTriggered') return [e.data.cascadeId];
      const oneShot =
        e.type === 'RunDispatched' &&
        e.data.reason === 'one_shot_hint' &&
        e.data.hintId !== undefined &&
        oneShots.has(e.data.hintId);
      return oneShot ? [e.data.runId] : [];
    }),
  );
  const responses = runsOf(events);
  const runs = responses.all.filter(
    (run) => run.slot >= window.from || decidedInWindow.has(run.runId),
  );
  return { before, agenda, responses: responses.answered, runs, skipped };
}

/** The stream's runs (first dispatches) by slot, with their responses. */
function runsOf(events: readonly RecordedEvent[]) {
  const answers = new Map<string, Recorded<'ResponseRecorded'>>();
  const causes = new Map<string, string>();
  for (const event of events) {
    if (event.type === 'ResponseRecorded' && !event.data.test) answers.set(event.data.runId, event);
    if (event.type === 'CascadeTriggered') {
      const { cascadeId, inputs } = event.data;
      causes.set(cascadeId, causeOf(inputs.map((input) => input.response.runId)));
    }
  }
  const all: RecordedRun[] = events.flatMap((event) =>
    event.type === 'RunDispatched' && event.data.attempt === 1
      ? [
          {
            runId: event.data.runId,
            slot: fromIso(event.data.scheduledFor),
            reason: event.data.reason,
            response: answers.get(event.data.runId) ?? null,
            cause: event.data.reason === 'cascade' ? (causes.get(event.data.runId) ?? null) : null,
          },
        ]
      : [],
  );
  all.sort((a, b) => a.slot - b.slot);
  return { all, answered: all.filter((run) => run.response !== null) };
}

/** A job's stream split at `from`: its prefix, and its later events as inputs. */
export function jobAgenda(jobId: string, events: readonly RecordedEvent[], to: Millis) {
  return events.flatMap((event): Agendum[] => {
    const at = recordedAtOf(event);
    return at < to ? [{ at, position: event.position, input: { kind: 'job', jobId, event } }] : [];
  });
}

/** The recorded responses of an upstream outside the scope, within the window (and the lookback), as inputs. */
export function upstreamAgenda(
  endpointId: string,
  events: readonly RecordedEvent[],
  window: { readonly from: Millis; readonly to: Millis },
): Agendum[] {
  return events.flatMap((event): Agendum[] => {
    if (event.type !== 'ResponseRecorded' || event.data.test) return [];
    const at = recordedAtOf(event);
    if (at < window.from) return lookedBack(endpointId, event, window.from);
    if (at >= window.to) return [];
    return [
      {
        at,
        position: event.position,
        input: { kind: 'response', endpointId, simulated: false, event },
      },
    ];
  });
}

/** Inputs in the order they happened: by time, then by log position. */
export const byTime = (a: Agendum, b: Agendum): number => a.at - b.at || a.position - b.position;
