import type { DomainEvent } from '../events/event.js';
import { fromIso } from '../time.js';
import { evolveCascade } from '../graph/evolve-inputs.js';
import { evolveSteering } from '../arbiter/evolve-steering.js';
import { initialState, type EndpointState, type InFlightRun, type LastRun } from './state.js';

/**
 * Folds one event of an endpoint's stream into its state. Pure and total:
 * events that do not concern the endpoint's schedule leave it as it is, but
 * still advance `version`. Time comes from the events, never the clock.
 */
export function evolve(state: EndpointState, event: DomainEvent): EndpointState {
  const next = apply(state, event);
  const steering = evolveSteering(next.steering, event);
  const version = state.version + 1;
  // `next` is apply's own new object, seen by no one yet: finish it rather than copy it again
  // (a replay folds every event of the log through here; the second copy was a tenth of it).
  const fresh = next === state ? copyOf(state) : (next as Mutable<EndpointState>);
  fresh.steering = steering;
  fresh.version = version;
  return fresh;
}

/** Folds a whole stream, starting from the initial state. */
export const fold = (events: readonly DomainEvent[]): EndpointState =>
  events.reduce(evolve, initialState());

/** The event's change: `state` itself when it changes nothing, otherwise a new object. */
function apply(state: EndpointState, event: DomainEvent): EndpointState {
  switch (event.type) {
    case 'EndpointRegistered':
      return {
        ...state,
        status: 'active',
        endpointId: event.data.endpointId,
        tenantId: event.data.tenantId,
        jobId: event.data.jobId,
        config: event.data.config,
        registeredAt: fromIso(event.data.registeredAt),
      };
    case 'EndpointReconfigured':
      return { ...state, config: event.data.config };
    case 'EndpointArchived':
      return { ...state, status: 'archived', inFlight: null };
    case 'Paused':
      return {
        ...state,
        pause: {
          until: event.data.until === null ? null : fromIso(event.data.until),
          reason: event.data.reason,
        },
      };
    case 'Resumed':
      return { ...state, pause: null };
    case 'RunDispatched': {
      const { cascade } = event.data;
      const runId = event.data.runId;
      const scheduledFor = fromIso(event.data.scheduledFor);
      // A run dispatched ahead is released at its startAt (always later than its dispatch).
      const dispatchedAt = fromIso(event.data.startAt ?? event.data.dispatchedAt);
      const run: LastRun = cascade
        ? { runId, scheduledFor, dispatchedAt, cascade }
        : { runId, scheduledFor, dispatchedAt };
      // A one-shot hint is spent by the run it caused, a cascade by its run.
      const spent =
        event.data.hintId !== undefined && state.hints.oneShot?.hintId === event.data.hintId;
      const pending = state.cascade.pending.find((p) => p.cascadeId === event.data.runId);
      // A re-dispatch (attempt > 1) sends the same rendered request again.
      const again = state.inFlight?.runId === event.data.runId ? state.inFlight.request : undefined;
      const request = pending?.request ?? again;
      const next = copyOf(state);
      next.lastRun = event.data.attempt === 1 ? run : (state.lastRun ?? run);
      next.inFlight = inFlightRun(run, fromIso(event.data.leaseUntil), event.data.attempt, request);
      if (spent) next.hints = { ...state.hints, oneShot: null };
      const ownRunAt =
        cascade === undefined && event.data.attempt === 1 ? dispatchedAt : state.cascade.ownRunAt;
      if (pending || ownRunAt !== state.cascade.ownRunAt) {
        next.cascade = {
          ...state.cascade,
          pending: pending
            ? state.cascade.pending.filter((p) => p !== pending)
            : state.cascade.pending,
          ownRunAt,
        };
      }
      return next;
    }
    case 'ResponseRecorded': {
      if (event.data.test) return state;
      const inFlight = state.inFlight?.runId === event.data.runId ? null : state.inFlight;
      const next = copyOf(state);
      next.inFlight = inFlight;
      next.consecutiveFailures = event.data.ok ? 0 : state.consecutiveFailures + 1;
      return next;
    }
    case 'HintProposed':
      return event.data.slot === 'interval'
        ? {
            ...state,
            hints: {
              ...state.hints,
              interval: {
                hintId: event.data.hintId,
                source: event.data.source,
                sourceId: event.data.sourceId,
                intervalMs: event.data.intervalMs,
                expiresAt: fromIso(event.data.expiresAt),
                reason: event.data.reason,
              },
            },
          }
        : {
            ...state,
            hints: {
              ...state.hints,
              oneShot: {
                hintId: event.data.hintId,
                source: event.data.source,
                sourceId: event.data.sourceId,
                runAt: fromIso(event.data.runAt),
                expiresAt: fromIso(event.data.expiresAt),
                reason: event.data.reason,
              },
            },
          };
    case 'HintExpired': {
      const slot = event.data.slot;
      if (state.hints[slot]?.hintId !== event.data.hintId) return state;
      return { ...state, hints: { ...state.hints, [slot]: null } };
    }
    case 'HintSuperseded': {
      const slot = event.data.slot;
      if (state.hints[slot]?.hintId !== event.data.hintId) return state;
      return { ...state, hints: { ...state.hints, [slot]: null } };
    }
    case 'HintsCleared': {
      const hints = { ...state.hints };
      for (const slot of event.data.slots) hints[slot] = null;
      return { ...state, hints };
    }
    case 'RunSkipped': {
      const { hintId, cascadeId } = event.data;
      const hints =
        hintId !== undefined && state.hints.oneShot?.hintId === hintId
          ? { ...state.hints, oneShot: null }
          : state.hints;
      const pending = state.cascade.pending.filter((p) => p.cascadeId !== cascadeId);
      // A skipped baseline slot moves the schedule on; a skipped hint or cascade run is spent.
      const baseline = hintId === undefined && cascadeId === undefined;
      return {
        ...state,
        hints,
        cascade: cascadeId === undefined ? state.cascade : { ...state.cascade, pending },
        lastSkip: baseline ? { scheduledFor: fromIso(event.data.scheduledFor) } : state.lastSkip,
      };
    }
    case 'DependencyDeclared':
    case 'DependencyRemoved':
    case 'UpstreamObserved':
    case 'UpstreamFailing':
    case 'UpstreamRecovered':
    case 'CascadeTriggered':
    case 'CascadeRefused':
      return { ...state, cascade: evolveCascade(state, event) };
    case 'HintRejected':
    case 'PlannerSessionRecorded':
      return state;
    case 'TenantCreated':
    case 'ApiKeyCreated':
    case 'ApiKeyRevoked':
    case 'TenantDisabled':
    case 'TenantEnabled':
    case 'JobCreated':
    case 'JobUpdated':
    case 'JobArchived':
    case 'JobPaused':
    case 'JobResumed':
    case 'PipelineApplied':
      throw new Error(`${event.type} does not belong on an endpoint stream`);
    default:
      return assertNever(event);
  }
}

/** A run in flight, with only the optional fields it has (no spreads: this runs per dispatch). */
function inFlightRun(
  run: LastRun,
  leaseUntil: number,
  attempt: number,
  request: InFlightRun['request'],
): InFlightRun {
  const { runId, scheduledFor, dispatchedAt, cascade } = run;
  const inFlight: Mutable<InFlightRun> = {
    runId,
    scheduledFor,
    dispatchedAt,
    leaseUntil,
    attempt,
  };
  if (cascade) inFlight.cascade = cascade;
  if (request) inFlight.request = request;
  return inFlight;
}

type Mutable<T> = { -readonly [K in keyof T]: T[K] };

/**
 * A new state equal to `state`, for apply to change before anyone sees it. Written out, not
 * spread: the two events that make up nine tenths of a log (a run dispatched, its response)
 * change a state through it, and with spreads here and in `inFlightRun` evolve took 4.2–4.9 µs
 * an event against 2.0–2.7 µs (a 300k-event generated log's endpoint events, alternating rounds).
 * Every field of EndpointState is required, so the compiler names one left out here.
 */
function copyOf(state: EndpointState): Mutable<EndpointState> {
  return {
    status: state.status,
    endpointId: state.endpointId,
    tenantId: state.tenantId,
    jobId: state.jobId,
    config: state.config,
    registeredAt: state.registeredAt,
    pause: state.pause,
    hints: state.hints,
    lastRun: state.lastRun,
    inFlight: state.inFlight,
    consecutiveFailures: state.consecutiveFailures,
    lastSkip: state.lastSkip,
    cascade: state.cascade,
    steering: state.steering,
    version: state.version,
  };
}

function assertNever(event: never): never {
  throw new Error(`unhandled event ${JSON.stringify(event)}`);
}
