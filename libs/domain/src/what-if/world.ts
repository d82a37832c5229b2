import type { Decided } from '../decider.js';
import type { EndpointCommand, UpstreamResponse } from '../endpoint/commands.js';
import { decide } from '../endpoint/decide.js';
import { evolve } from '../endpoint/evolve.js';
import { scheduleOf } from '../endpoint/schedule-of.js';
import type { EndpointState } from '../endpoint/state.js';
import type { CascadeContext, EventDataInput } from '../events/catalogue.js';
import type { DomainEvent } from '../events/event.js';
import type { EventMetadata } from '../events/metadata.js';
import { holdsOf, type Holds } from '../governor/holds.js';
import type { JobState } from '../job/job.js';
import { fromIso, toIso, type Millis } from '../time.js';
import { ownResponse, responseFor, type FedKind } from './feed.js';
import { causeOf, type RecordedRun } from './history.js';
import type { PositionClock } from './positions.js';

/** A run the simulation dispatched. */
export interface SimulatedRun {
  readonly runId: string;
  readonly slot: Millis;
  readonly reason: string;
  /** How its response was fed (null: recorded at its dispatch, a cascade's template failed). */
  readonly fed: FedKind | null;
  readonly fedFrom: string | null;
  /** A cascade's run: what fired it, in recorded run ids (null when it was not a recorded run). */
  readonly cause: string | null;
}

/** A simulated run waiting for its (fed) response. */
interface InFlight {
  readonly at: Millis;
  readonly startedAt: Millis;
  readonly runId: string;
  readonly cascade: CascadeContext | undefined;
  readonly fed: ReturnType<typeof responseFor>;
}

/** The lease margin of the dispatchers (their default): a run with no response is dispatched again after it. */
const LEASE_MARGIN_MS = 15_000;

/**
 * The simulated endpoints and jobs, and the decisions the real services would take on them: the
 * dispatcher's `Dispatch`, the executor's `RecordResponse` (with a fed response), the cascade
 * processor's `ObserveUpstream` (with the same `dispatch` of a fired cascade). Every change goes
 * through the endpoint decider and `evolve`, as in the live system.
 */
export class World {
  readonly states: Map<string, EndpointState>;
  readonly jobs: Map<string, JobState>;
  readonly runs = new Map<string, SimulatedRun[]>();
  readonly skipped = new Map<string, number>();
  readonly inFlight = new Map<string, InFlight>();
  /** Recorded runs a simulated run took as its own (rule 1 of `responseFor`), by endpoint. */
  readonly #taken = new Map<string, Set<string>>();
  /** Each endpoint's next wake-up, while its state does not change. */
  readonly #wakes = new Map<string, Millis | null>();
  /** When a wake-up found nothing to dispatch: no wake-up at or before it until the state moves. */
  readonly #idle = new Map<string, Millis>();
  /** The recorded run each run is, by its id here: a recorded response, or a run fed its own. */
  readonly #recordedRunOf = new Map<string, string>();
  /** What fired each cascade, by cascade id (see `causeOf`): null when an input was no recorded run. */
  readonly #causes = new Map<string, string | null>();
  /** Recorded cascade runs by endpoint and cause, built on first use. */
  readonly #byCause = new Map<string, Map<string, RecordedRun>>();
  #runCount = 0;

  constructor(
    readonly setup: {
      readonly tenantId: string;
      readonly window: { readonly from: Millis; readonly to: Millis };
      readonly states: Map<string, EndpointState>;
      readonly jobs: Map<string, JobState>;
      readonly responses: ReadonlyMap<string, readonly RecordedRun[]>;
      readonly toleranceMs: number;
      readonly positions: PositionClock;
    },
  ) {
    this.states = setup.states;
    this.jobs = setup.jobs;
  }

  get runCount(): number {
    return this.#runCount;
  }

  readonly metadata = (): EventMetadata => ({
    tenantId: this.setup.tenantId,
    actor: { kind: 'system', id: 'what-if' },
  });

  state(endpointId: string): EndpointState {
    const state = this.states.get(endpointId);
    if (!state) throw new Error(`${endpointId} is not simulated`);
    return state;
  }

  holds(state: EndpointState): Holds {
    return holdsOf(state.status === 'unregistered' ? null : (this.jobs.get(state.jobId) ?? null));
  }

  decide(endpointId: string, command: EndpointCommand, now: Millis): Decided {
    return decide(command, this.state(endpointId), { now, metadata: this.metadata() });
  }

  /** Folds events into an endpoint's state, each at `position` (a recorded or a simulated one). */
  apply(endpointId: string, events: readonly DomainEvent[], position: number): void {
    let state = this.state(endpointId);
    for (const event of events) state = evolve(state, Object.assign({}, event, { position }));
    this.states.set(endpointId, state);
    this.touch(endpointId);
  }

  /** The endpoint's schedule may have moved: its wake-up is computed again. */
  touch(endpointId: string): void {
    this.#wakes.delete(endpointId);
    this.#idle.delete(endpointId);
  }

  /**
   * When the endpoint next needs a look: when it is due, or when something the governor reads
   * changes with time alone (a hint lapses, a pause ends, its job's pause ends).
   */
  wake(endpointId: string, now: Millis): Millis | null {
    if (this.#wakes.has(endpointId)) return this.#wakes.get(endpointId) ?? null;
    const state = this.state(endpointId);
    let wake: Millis | null = null;
    if (state.status === 'active') {
      const holds = this.holds(state);
      const view = scheduleOf(state, now, holds);
      const idle = this.#idle.get(endpointId) ?? -Infinity;
      const later = [view.hintExpiresAt, state.pause?.until, holds.job?.pause?.until].filter(
        (t): t is number => typeof t === 'number' && t > now,
      );
      const times = [...(view.dueAt === null ? [] : [Math.max(view.dueAt, now)]), ...later];
      const next = times.filter((t) => t > idle);
      wake = next.length === 0 ? null : Math.min(...next);
    }
    this.#wakes.set(endpointId, wake);
    return wake;
  }

  /** The dispatcher's look at `now`: a run (or a skip) when one is due. */
  dispatch(endpointId: string, now: Millis): void {
    const state = this.state(endpointId);
    const decided = this.decide(
      endpointId,
      { type: 'Dispatch', leaseMarginMs: LEASE_MARGIN_MS, holds: this.holds(state) },
      now,
    );
    if (!decided.ok || decided.value.length === 0) {
      this.#wakes.delete(endpointId);
      this.#idle.set(endpointId, now);
      return;
    }
    this.#applyDispatch(endpointId, decided.value, now);
  }

  /** The executor's answer: the fed response of the run in flight, recorded, then its cascades. */
  respond(endpointId: string, now: Millis): void {
    const run = this.inFlight.get(endpointId);
    if (!run) return;
    this.inFlight.delete(endpointId);
    const response = {
      ...run.fed.response,
      runId: run.runId,
      startedAt: toIso(run.startedAt),
      finishedAt: toIso(now),
      ...(run.cascade ? { cascade: run.cascade } : {}),
    };
    const decided = this.decide(endpointId, { type: 'RecordResponse', response }, now);
    if (!decided.ok || decided.value.length === 0) return;
    const position = this.setup.positions.next(now);
    this.apply(endpointId, decided.value, position);
    this.observe(upstreamOf(endpointId, response, position, now), now);
  }

  /** A recorded response taken as it was (an input): the run it answers is that recorded run. */
  recognize(runId: string): void {
    this.#recordedRunOf.set(runId, runId);
  }

  /** The recorded cascade run of an endpoint fired by `cause`, if any. */
  #recordedByCause(endpointId: string, cause: string): RecordedRun | undefined {
    let index = this.#byCause.get(endpointId);
    if (!index) {
      index = new Map();
      for (const run of this.setup.responses.get(endpointId) ?? []) {
        if (run.cause !== null && !index.has(run.cause)) index.set(run.cause, run);
      }
      this.#byCause.set(endpointId, index);
    }
    return index.get(cause);
  }

  /**
   * The cascade processor: an upstream response observed by every simulated downstream with an
   * edge from it (in id order), a cascade that fires dispatched in the same decision.
   */
  observe(response: UpstreamResponse, now: Millis): void {
    const downstreams = [...this.states.entries()]
      .filter(([, state]) =>
        Object.values(state.cascade.edges).some(
          (e) => e.edge.upstreamEndpointId === response.endpointId,
        ),
      )
      .map(([id]) => id)
      .sort();
    for (const id of downstreams) {
      const state = this.state(id);
      const edge = Object.values(state.cascade.edges).find(
        (e) => e.edge.upstreamEndpointId === response.endpointId,
      );
      if (!edge || state.status !== 'active') continue;
      const decided = this.decide(
        id,
        {
          type: 'ObserveUpstream',
          edgeId: edge.edge.edgeId,
          response,
          dispatch: { leaseMarginMs: LEASE_MARGIN_MS, holds: this.holds(state) },
        },
        now,
      );
      if (decided.ok && decided.value.length > 0) this.#applyDispatch(id, decided.value, now);
    }
  }

  #applyDispatch(endpointId: string, events: readonly DomainEvent[], now: Millis): void {
    const position = this.setup.positions.next(now);
    this.apply(endpointId, events, position);
    const { from, to } = this.setup.window;
    for (const event of events) {
      if (event.type === 'CascadeTriggered') {
        const upstreams = event.data.inputs.map((i) => this.#recordedRunOf.get(i.response.runId));
        const known = upstreams.filter((id): id is string => id !== undefined);
        this.#causes.set(
          event.data.cascadeId,
          known.length === upstreams.length ? causeOf(known) : null,
        );
      }
      if (event.type === 'RunSkipped') {
        const slot = fromIso(event.data.scheduledFor);
        if (slot >= from && slot < to) {
          this.skipped.set(endpointId, (this.skipped.get(endpointId) ?? 0) + 1);
        }
      }
      if (event.type !== 'RunDispatched') continue;
      const { runId, attempt, reason, cascade } = event.data;
      const slot = fromIso(event.data.scheduledFor);
      // A cascade whose template failed is recorded as failed in the same decision: no call.
      const failed = events.some((e) => e.type === 'ResponseRecorded' && e.data.runId === runId);
      const taken = this.#taken.get(endpointId) ?? new Set<string>();
      this.#taken.set(endpointId, taken);
      const recorded = this.setup.responses.get(endpointId) ?? [];
      const cause = reason === 'cascade' ? (this.#causes.get(runId) ?? null) : null;
      // A cascade fired by the same recorded responses as a recorded one is that run, whenever
      // it fired; any other run is the recorded one at its time, if there is one.
      const same = cause === null ? undefined : this.#recordedByCause(endpointId, cause);
      const fed = failed
        ? null
        : same !== undefined && !taken.has(same.runId)
          ? ownResponse(same)
          : responseFor(recorded, slot, this.setup.toleranceMs, taken);
      if (fed?.kind === 'recorded' && fed.fromRunId !== null) {
        taken.add(fed.fromRunId);
        this.#recordedRunOf.set(runId, fed.fromRunId);
      }
      if (fed) {
        const at = now + fed.response.durationMs;
        this.inFlight.set(endpointId, { at, startedAt: now, runId, cascade, fed });
      }
      if (attempt !== 1) continue;
      this.#runCount++;
      if (slot < from || slot >= to) continue;
      const runs = this.runs.get(endpointId) ?? [];
      runs.push({
        runId,
        slot,
        reason,
        fed: fed?.kind ?? null,
        fedFrom: fed?.fromRunId ?? null,
        cause,
      });
      this.runs.set(endpointId, runs);
    }
    // A run recorded as failed at its dispatch is a response too: its downstreams observe it.
    for (const event of events) {
      if (event.type !== 'ResponseRecorded') continue;
      this.observe(upstreamOf(endpointId, event.data, position, now), now);
    }
  }
}

/** A response as the cascade processor hands it to downstreams (a run of its own schedule roots its chain). */
export const upstreamOf = (
  endpointId: string,
  data: Pick<
    EventDataInput<'ResponseRecorded'>,
    'runId' | 'status' | 'ok' | 'body' | 'durationMs'
  > & {
    readonly headers?: Readonly<Record<string, string>>;
    readonly cascade?: CascadeContext;
  },
  position: number,
  respondedAt: Millis,
): UpstreamResponse => ({
  endpointId,
  runId: data.runId,
  position,
  respondedAt,
  status: data.status,
  ok: data.ok,
  headers: data.headers ?? {},
  body: data.body,
  durationMs: data.durationMs,
  cascade: data.cascade ?? { root: data.runId, depth: 0, chain: [endpointId] },
});
