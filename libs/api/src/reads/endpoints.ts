import {
  decide,
  endpointStream,
  evolve,
  fail,
  fold,
  initialState,
  isPaused,
  nextRun,
  toIso,
  type EndpointCommand,
  type EndpointState,
  type EventData,
  type EventMetadata,
  type IntervalHint,
  type Millis,
  type OneShotHint,
} from '@orrery/domain';
import { redactHeaders } from '@orrery/secrets';
import { runCommand } from '../commands/run-command.js';
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
 * projection has not seen it yet), so an answer never lags a write.
 * Another tenant's endpoint answers 404.
 */
export async function readEndpoint(
  deps: Pick<ApiDeps, 'store' | 'db'>,
  tenantId: string,
  endpointId: string,
): Promise<EndpointState> {
  const row = await deps.db
    .selectFrom('schedule')
    .select(['tenant_id', 'stream_version', 'state'])
    .where('endpoint_id', '=', endpointId)
    .executeTakeFirst();
  if (row && row.tenant_id !== tenantId) throw notFound(endpointId);
  const snapshot: EndpointState = row
    ? { ...(row.state as EndpointState), version: row.stream_version }
    : initialState();
  const tail = await deps.store.readStream(endpointStream(endpointId), {
    fromVersion: snapshot.version + 1,
  });
  const state = tail.reduce(evolve, snapshot);
  if (state.status === 'unregistered' || state.tenantId !== tenantId) throw notFound(endpointId);
  return state;
}

/** 404 unless the endpoint was registered by the tenant (one indexed row of the log). */
export async function assertEndpointOfTenant(
  deps: Pick<ApiDeps, 'events'>,
  tenantId: string,
  endpointId: string,
): Promise<void> {
  const registered = await deps.events
    .selectFrom('events')
    .select('tenant_id')
    .where('stream_id', '=', endpointStream(endpointId))
    .where('stream_version', '=', 1)
    .where('type', '=', 'EndpointRegistered')
    .executeTakeFirst();
  if (registered?.tenant_id !== tenantId) throw notFound(endpointId);
}

/**
 * Runs a command on an endpoint of the tenant (404 for anyone else's). A
 * function builds the command from the state read, and is called again when
 * a concurrent writer forces a re-read, so merges never lose an update.
 */
export function commandEndpoint(
  deps: Pick<ApiDeps, 'store' | 'now'>,
  tenantId: string,
  endpointId: string,
  command: EndpointCommand | ((state: EndpointState, now: Millis) => EndpointCommand),
  metadata: EventMetadata,
) {
  return runCommand(deps.store, endpointStream(endpointId), fold, (state) => {
    if (state.status === 'unregistered' || state.tenantId !== tenantId) {
      return fail('not_found', `endpoint ${endpointId} not found`);
    }
    const now = deps.now();
    const cmd = typeof command === 'function' ? command(state, now) : command;
    return decide(cmd, state, { now, metadata });
  });
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

/** What the API shows of an endpoint at `now`: secrets redacted, live hints only, the next run. */
export function endpointView(state: EndpointState, now: Millis): EndpointView {
  const { config } = state;
  if (!config) throw new Error(`endpoint ${state.endpointId} has no config`);
  const decision = nextRun(state, now);
  const { interval, oneShot } = state.hints;
  return {
    id: state.endpointId,
    jobId: state.jobId,
    status: state.status === 'archived' ? 'archived' : 'active',
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
  };
}
