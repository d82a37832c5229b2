import {
  endpointDecider,
  endpointStream,
  holdsOf,
  isPaused,
  jobPauseAt,
  NO_HOLDS,
  nextRun,
  toIso,
  type EndpointCommand,
  type EndpointState,
  type EventData,
  type EventMetadata,
  type Holds,
  type IntervalHint,
  type Millis,
  type OneShotHint,
} from '@orrery/domain';
import { parkedView, readEndpointWithJob } from './endpoint-head.js';
import { readStreamHead } from './stream-head.js';
import { redactHeaders } from '@orrery/secrets';
import { command } from '../commands/command.js';
import { dependsOnOf } from '../dependencies/edge-state.js';
import type { ApiDeps } from '../deps.js';
import { ProblemError } from '../problem.js';
import type {
  EndpointView,
  HintView,
  IntervalHintView,
  OneShotHintView,
} from '../schemas/endpoints.js';

const notFound = (endpointId: string) =>
  new ProblemError('not_found', `endpoint ${endpointId} not found`);

/**
 * An endpoint of the tenant as of the head of its stream: the read model's
 * snapshot plus the events appended after it (the whole stream when the
 * projection has not seen it yet), in one statement, so an answer never lags a
 * write. Ids are scoped by tenant: another tenant's endpoint of the same id is
 * another stream.
 */
export async function readEndpoint(
  deps: Pick<ApiDeps, 'pool'>,
  tenantId: string,
  endpointId: string,
): Promise<EndpointState> {
  const { state } = await readEndpointHead(deps, tenantId, endpointId);
  if (state.status === 'unregistered') throw notFound(endpointId);
  return state;
}

/** {@link readEndpoint}'s stream head, with the stream's last `window` events read too. */
export const readEndpointHead = (
  deps: Pick<ApiDeps, 'pool'>,
  tenantId: string,
  endpointId: string,
  window = 0,
) =>
  readStreamHead(
    deps.pool,
    { table: 'schedule', id: 'endpoint_id' },
    endpointDecider,
    { tenantId, id: endpointId, streamId: endpointStream(tenantId, endpointId) },
    window,
  );

/** 404 unless the tenant registered an endpoint of this id (one indexed row of the log). */
export async function assertEndpointOfTenant(
  deps: Pick<ApiDeps, 'events'>,
  tenantId: string,
  endpointId: string,
): Promise<void> {
  const registered = await deps.events
    .selectFrom('events')
    .select('position')
    .where('stream_id', '=', endpointStream(tenantId, endpointId))
    .where('stream_version', '=', 1)
    .executeTakeFirst();
  if (!registered) throw notFound(endpointId);
}

/**
 * Runs a command on an endpoint of the tenant (404 when it has none of that id). A function
 * builds the command from the state read, and is called again when a concurrent writer forces a
 * re-read, so merges never lose an update. An endpoint of an archived job takes no change but its
 * own archiving (409), like an archived endpoint.
 *
 * The endpoint, its job and its parked streams are read in one statement
 * ({@link readEndpointWithJob}: the read model's snapshots and the events after them), the
 * command is decided on that head and appended at its version — the stream is read again only
 * if another writer moved it meanwhile. The answer's `context` is the job's hold and the parked
 * streams as that read found them (the command changes neither). Before, a command cost six
 * statements, each a round trip: the job's status, the snapshot, the events after it, the
 * append, then the job and the parked streams for the answer.
 */
export async function commandEndpoint(
  deps: Pick<ApiDeps, 'store' | 'pool' | 'now'>,
  tenantId: string,
  endpointId: string,
  cmd: EndpointCommand | ((state: EndpointState, now: Millis) => EndpointCommand),
  metadata: EventMetadata,
) {
  const head = await readEndpointWithJob(deps.pool, tenantId, endpointId, { parked: true });
  if ((typeof cmd === 'function' || cmd.type !== 'Archive') && head.job?.status === 'archived') {
    throw new ProblemError('conflict', `the job of endpoint ${endpointId} is archived`);
  }
  // A command built from the state needs an endpoint to build it from.
  const build =
    typeof cmd === 'function'
      ? (state: EndpointState, now: Millis) => {
          if (state.status === 'unregistered') throw notFound(endpointId);
          return cmd(state, now);
        }
      : cmd;
  const result = await command(
    deps.store,
    endpointDecider,
    endpointStream(tenantId, endpointId),
    build,
    {
      now: deps.now,
      metadata,
      snapshot: () => Promise.resolve(head.state),
      readTail: 'on-conflict',
    },
  );
  const context: EndpointContext = { holds: holdsOf(head.job), parked: head.parked };
  return { ...result, context };
}

const intervalHintView = (hint: IntervalHint): IntervalHintView => ({
  kind: 'interval',
  hintId: hint.hintId,
  source: hint.source,
  sourceId: hint.sourceId,
  intervalMs: hint.intervalMs,
  expiresAt: toIso(hint.expiresAt),
  reason: hint.reason,
});

const oneShotHintView = (hint: OneShotHint): OneShotHintView => ({
  kind: 'oneShot',
  hintId: hint.hintId,
  source: hint.source,
  sourceId: hint.sourceId,
  runAt: toIso(hint.runAt),
  expiresAt: toIso(hint.expiresAt),
  reason: hint.reason,
});

/** A hint as recorded by `HintProposed` (with the clamp, when one applied). */
export const proposedHintView = (data: EventData<'HintProposed'>): HintView => {
  const common = {
    hintId: data.hintId,
    source: data.source,
    sourceId: data.sourceId,
    expiresAt: data.expiresAt,
    reason: data.reason,
  };
  if (data.slot === 'oneShot') return { kind: 'oneShot', runAt: data.runAt, ...common };
  return {
    kind: 'interval',
    intervalMs: data.intervalMs,
    ...common,
    ...(data.clamped ? { clamped: data.clamped } : {}),
  };
};

const run = (r: { runId: string; scheduledFor: Millis; dispatchedAt: Millis }) => ({
  runId: r.runId,
  scheduledFor: toIso(r.scheduledFor),
  dispatchedAt: toIso(r.dispatchedAt),
});

/** What an endpoint's view takes from outside its stream: its job's hold, its parked streams. */
export interface EndpointContext {
  readonly holds: Holds;
  /** Processors that set the endpoint's stream aside (its events failed), with why. */
  readonly parked: readonly ParkedView[];
}

export interface ParkedView {
  readonly processor: string;
  readonly error: string;
  readonly since: string;
  readonly position: number;
}

/** The parked streams among `streamIds`, by stream. */
export async function parkedOf(
  db: ApiDeps['db'],
  streamIds: readonly string[],
): Promise<Map<string, ParkedView[]>> {
  const out = new Map<string, ParkedView[]>();
  if (streamIds.length === 0) return out;
  const rows = await db
    .selectFrom('parked_streams')
    .select(['stream_id', 'processor', 'error', 'parked_at', 'position'])
    .where('stream_id', 'in', [...streamIds])
    .orderBy('processor')
    .execute();
  for (const row of rows) {
    out.set(row.stream_id, [...(out.get(row.stream_id) ?? []), parkedView(row)]);
  }
  return out;
}

/**
 * {@link readEndpoint} with its {@link EndpointContext}, in one statement
 * ({@link readEndpointWithJob}).
 */
export async function readEndpointInContext(
  deps: Pick<ApiDeps, 'pool'>,
  tenantId: string,
  endpointId: string,
): Promise<{ state: EndpointState; context: EndpointContext }> {
  const { state, job, parked } = await readEndpointWithJob(deps.pool, tenantId, endpointId, {
    parked: true,
  });
  if (state.status === 'unregistered') throw notFound(endpointId);
  return { state, context: { holds: holdsOf(job), parked } };
}

/**
 * What the API shows of an endpoint at `now`: secrets redacted, live hints only, its job's
 * hold, and the next run under all of it.
 */
export function endpointView(
  state: EndpointState,
  now: Millis,
  context: EndpointContext = { holds: NO_HOLDS, parked: [] },
): EndpointView {
  const { config } = state;
  if (!config) throw new Error(`endpoint ${state.endpointId} has no config`);
  const decision = nextRun(state, now, context.holds);
  const job = context.holds.job;
  const jobPause = jobPauseAt(context.holds, now);
  const { interval, oneShot } = state.hints;
  return {
    id: state.endpointId,
    jobId: state.jobId,
    status: state.status === 'archived' || job?.archived ? 'archived' : 'active',
    config: {
      ...config,
      request: { ...config.request, headers: redactHeaders(config.request.headers) },
    },
    paused:
      state.pause && isPaused(state, now)
        ? {
            until: state.pause.until === null ? null : toIso(state.pause.until),
            reason: state.pause.reason,
          }
        : null,
    hints: {
      interval: interval && interval.expiresAt > now ? intervalHintView(interval) : null,
      oneShot: oneShot && oneShot.expiresAt > now ? oneShotHintView(oneShot) : null,
    },
    schedule: {
      nextRunAt: decision.at === null ? null : toIso(decision.at),
      reason: decision.reason,
    },
    lastRun: state.lastRun && run(state.lastRun),
    inFlight: state.inFlight && {
      ...run(state.inFlight),
      leaseUntil: toIso(state.inFlight.leaseUntil),
      attempt: state.inFlight.attempt,
    },
    consecutiveFailures: state.consecutiveFailures,
    registeredAt: toIso(state.registeredAt),
    job: {
      paused: jobPause && {
        until: jobPause.until === null ? null : toIso(jobPause.until),
        reason: jobPause.reason,
      },
      archived: job?.archived ?? false,
    },
    parked: [...context.parked],
    dependsOn: dependsOnOf(state),
  };
}
