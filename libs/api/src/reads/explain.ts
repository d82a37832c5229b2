import {
  endpointStream,
  fold,
  foldWith,
  holdsOf,
  jobDecider,
  jobStream,
  nextRun,
  type Holds,
  type JobState,
  toIso,
  type DecisionInputs,
  type EndpointState,
  type IntervalHint,
  type Millis,
  type OneShotHint,
  type RecordedEvent,
} from '@orrery/domain';
import type { ApiDeps } from '../deps.js';
import { readEndpointWithJob } from './endpoint-head.js';
import { cascadeEventView, cascadeInputsView, dependenciesView } from './explain-cascade.js';
import { ProblemError } from '../problem.js';
import type {
  DispatchView,
  ExplanationInputsView,
  ExplanationView,
  HintEventView,
} from '../schemas/explain.js';

const iso = (ms: Millis | null): string | null => (ms === null ? null : toIso(ms));

/** The recent decisions shown come from this many of the stream's latest events. */
export const RECENT_WINDOW = 200;

/**
 * Why the endpoint runs when it does: its stream folded up to `at` (a log
 * position, inclusive, or an ISO instant; the whole log by default) and the
 * governor asked at that time. For a position, the time is when the tenant's
 * last event at or before it was recorded. Time comes from the log, so the
 * same `at` always gives the same answer (replay).
 *
 * Now (no `at`) starts from the read model's snapshots of the endpoint and its
 * job and reads only the events after them, plus the endpoint's last
 * {@link RECENT_WINDOW} events for the recent decisions, in one statement
 * ({@link readEndpointWithJob}), so its cost does not grow with the stream's
 * age. A past `at` folds the stream from its start up to then.
 *
 * @throws ProblemError not_found when the endpoint is not the tenant's, or did
 *   not exist yet at `at`.
 */
export async function explainEndpoint(
  deps: Pick<ApiDeps, 'store' | 'events' | 'pool' | 'now'>,
  tenantId: string,
  endpointId: string,
  { at, recent }: { at?: string | undefined; recent: number },
): Promise<ExplanationView> {
  const streamId = endpointStream(tenantId, endpointId);
  if (at === undefined) {
    const head = await readEndpointWithJob(deps.pool, tenantId, endpointId, {
      window: RECENT_WINDOW,
    });
    const { state } = head;
    const window = head.events.filter((e) => e.streamVersion > state.version - RECENT_WINDOW);
    return explanation(endpointId, state, holdsOf(head.job), window, deps.now(), recent, at);
  }
  const stream = await deps.store.readStream(streamId);
  let time: Millis | null;
  let upTo: (event: RecordedEvent) => boolean;
  if (/^\d+$/.test(at)) {
    const position = Number(at);
    time = await logTimeAt(deps, tenantId, position);
    upTo = (event) => event.position <= position;
  } else {
    const instant = Date.parse(at);
    time = instant;
    upTo = (event) => Date.parse(event.recordedAt) <= instant;
  }
  // A prefix of the stream: a fold needs every event before the last one it takes.
  const end = stream.findIndex((event) => !upTo(event));
  const events = end === -1 ? stream : stream.slice(0, end);
  if (time === null)
    throw new ProblemError('not_found', `endpoint ${endpointId} not found at ${at}`);
  const state = fold(events);
  // The job as it was then, too: its stream up to the same point of the log.
  let job: JobState | null = null;
  if (state.status !== 'unregistered') {
    const jobEvents = (await deps.store.readStream(jobStream(tenantId, state.jobId))).filter(upTo);
    job = jobEvents.length === 0 ? null : foldWith(jobDecider, jobEvents);
  }
  return explanation(endpointId, state, holdsOf(job), events, time, recent, at);
}

/** The explanation of `state` at `time`; `events` are the stream's latest (for the recent lists). */
function explanation(
  endpointId: string,
  state: EndpointState,
  holds: Holds,
  events: readonly RecordedEvent[],
  time: Millis,
  recent: number,
  at: string | undefined,
): ExplanationView {
  const last = events.at(-1);
  if (!last || state.status === 'unregistered') {
    throw new ProblemError(
      'not_found',
      at === undefined
        ? `endpoint ${endpointId} not found`
        : `endpoint ${endpointId} not found at ${at}`,
    );
  }
  const decision = nextRun(state, time, holds);
  const latest = <T>(items: T[]): T[] => (recent === 0 ? [] : items.slice(-recent));
  return {
    endpointId,
    jobId: state.jobId,
    asOf: { position: last.position, time: toIso(time) },
    streamVersion: state.version,
    next: { at: iso(decision.at), slot: iso(decision.slot), reason: decision.reason },
    inputs: inputsView(decision.inputs),
    hints: {
      interval: hintView(state.hints.interval, time),
      oneShot: hintView(state.hints.oneShot, time),
    },
    bounds: boundsOf(state),
    dependencies: dependenciesView(state, time),
    recentDecisions: {
      dispatches: latest(events.flatMap(dispatchView)),
      hintEvents: latest(events.flatMap(hintEventView)),
      cascadeEvents: latest(events.flatMap(cascadeEventView)),
    },
  };
}

/** When the tenant's last event at or before `position` was recorded (null: none yet). */
export async function logTimeAt(
  deps: Pick<ApiDeps, 'events'>,
  tenantId: string,
  position: number,
): Promise<Millis | null> {
  const row = await deps.events
    .selectFrom('events')
    .select('recorded_at')
    .where('tenant_id', '=', tenantId)
    .where('position', '<=', position)
    .orderBy('position', 'desc')
    .limit(1)
    .executeTakeFirst();
  return row ? row.recorded_at.getTime() : null;
}

const boundsOf = ({ config }: EndpointState): ExplanationView['bounds'] => ({
  minIntervalMs: config?.minIntervalMs ?? 0,
  maxIntervalMs: config?.maxIntervalMs ?? null,
  jitterMs: config?.jitterMs ?? 0,
});

function hintView(hint: IntervalHint | OneShotHint | null, time: Millis) {
  if (hint === null) return null;
  const { hintId, source, sourceId, reason, expiresAt } = hint;
  return { hintId, source, sourceId, reason, expiresAt: toIso(expiresAt), live: expiresAt > time };
}

/** The governor's inputs with every instant as ISO-8601. */
function inputsView(inputs: DecisionInputs): ExplanationInputsView {
  const { pause, anchor, backoff, intervalHint, oneShotHint, jitter, clamp, inFlight } = inputs;
  return {
    now: toIso(inputs.now),
    status: inputs.status,
    pause: pause && { ...pause, until: iso(pause.until) },
    tenant: inputs.tenant,
    job: inputs.job && {
      ...inputs.job,
      pause: inputs.job.pause && { ...inputs.job.pause, until: iso(inputs.job.pause.until) },
    },
    baseline: inputs.baseline,
    anchor:
      anchor === null
        ? null
        : anchor.kind === 'registeredAt'
          ? { kind: 'registeredAt', at: toIso(anchor.at) }
          : {
              ...anchor,
              scheduledFor: toIso(anchor.scheduledFor),
              dispatchedAt: toIso(anchor.dispatchedAt),
            },
    backoff: backoff && { ...backoff, notBefore: iso(backoff.notBefore) },
    intervalHint: intervalHint && { ...intervalHint, expiresAt: toIso(intervalHint.expiresAt) },
    oneShotHint: oneShotHint && {
      ...oneShotHint,
      runAt: toIso(oneShotHint.runAt),
      expiresAt: toIso(oneShotHint.expiresAt),
    },
    ignoredHints: inputs.ignoredHints.map((hint) => ({
      ...hint,
      expiresAt: toIso(hint.expiresAt),
    })),
    cadenceAt: iso(inputs.cadenceAt),
    jitter: jitter && { ...jitter, slot: toIso(jitter.slot) },
    candidate: iso(inputs.candidate),
    clamp: clamp && { ...clamp, limit: toIso(clamp.limit) },
    inFlight: inFlight && { ...inFlight, leaseUntil: toIso(inFlight.leaseUntil) },
    cascade: cascadeInputsView(inputs.cascade),
  };
}

function dispatchView(event: RecordedEvent): DispatchView[] {
  if (event.type !== 'RunDispatched') return [];
  const { runId, scheduledFor, dispatchedAt, attempt, reason, hintId, cascade } = event.data;
  return [
    {
      position: event.position,
      recordedAt: event.recordedAt,
      runId,
      scheduledFor,
      dispatchedAt,
      attempt,
      reason,
      hintId: hintId ?? null,
      cascade: cascade ?? null,
    },
  ];
}

function hintEventView(event: RecordedEvent): HintEventView[] {
  const entry = {
    position: event.position,
    recordedAt: event.recordedAt,
    actor: event.metadata.actor,
  };
  switch (event.type) {
    case 'HintProposed':
      return [{ ...entry, type: event.type, ...event.data }];
    case 'HintRejected':
      return [{ ...entry, type: event.type, ...event.data }];
    case 'HintExpired':
      return [{ ...entry, type: event.type, ...event.data }];
    case 'HintSuperseded':
      return [{ ...entry, type: event.type, ...event.data }];
    case 'HintsCleared':
      return [{ ...entry, type: event.type, ...event.data }];
    default:
      return [];
  }
}
