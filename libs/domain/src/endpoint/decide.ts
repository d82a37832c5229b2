import { catalogue, type EventDataInput, type EventType } from '../events/catalogue.js';
import { makeEvent, type EventOf } from '../events/event.js';
import type { DecideContext, Decided } from '../decider.js';
import type { EventMetadata } from '../events/metadata.js';
import { differingPaths } from '../differences.js';
import { fail, ok, type Result } from '../errors.js';
import { MAX_HORIZON_MS } from '../limits.js';
import { fromIso, toIso, type Millis } from '../time.js';
import type { EndpointCommand } from './commands.js';
import { EndpointConfig } from './config.js';
import { decideHint, decideProposal, expireHint, clearHints } from './decide-hints.js';
import { NO_HOLDS } from '../governor/holds.js';
import { dispatchDue, recordDispatch } from './decide-dispatch.js';
import type { EndpointState } from './state.js';
import { observeUpstream } from '../graph/observe.js';
import { evolve } from './evolve.js';

/**
 * Decides what a command on an endpoint means, as events to append (possibly
 * none, when the command is already satisfied), or a coded error. Pure: the
 * same command, state and context always give the same answer.
 */
export function decide(
  command: EndpointCommand,
  state: EndpointState,
  ctx: DecideContext,
): Decided {
  if (command.type === 'Register') {
    const config = parseConfig(command.config, ctx.now);
    if (!config.ok) return config;
    if (state.status !== 'unregistered') return reregister(command.jobId, config.value, state);
    // A new endpoint runs on its schedule (its first slot) unless it asks to start otherwise.
    const start = config.value.start ?? { kind: 'next_slot' };
    return ok([
      makeEvent(
        'EndpointRegistered',
        {
          endpointId: command.endpointId,
          jobId: command.jobId,
          tenantId: command.tenantId,
          config: { ...config.value, start },
          registeredAt: toIso(ctx.now),
        },
        ctx.metadata,
      ),
    ]);
  }
  if (state.status === 'unregistered') return fail('not_found', 'endpoint not found');
  if (state.status === 'archived') {
    if (command.type === 'Archive' || command.type === 'ObserveUpstream') return ok([]);
    if (command.type === 'RecordResponse' && state.inFlight === null) return ok([]);
    return fail('conflict', `endpoint ${state.endpointId} is archived`);
  }
  const event = <T extends EventType>(type: T, data: EventDataInput<T>) =>
    ok([makeEvent(type, data, ctx.metadata)]);

  switch (command.type) {
    case 'Reconfigure': {
      const config = parseConfig(command.config, ctx.now);
      if (!config.ok) return config;
      // Equal configs whatever their key order: a state read back from a snapshot (jsonb)
      // holds its keys in another order than a freshly parsed config.
      if (differingPaths(config.value, state.config).length === 0) return ok([]);
      return event('EndpointReconfigured', { config: config.value });
    }
    case 'Archive': {
      // Its live hints end with it (each hint has one recorded outcome).
      const cleared = clearHints(['interval', 'oneShot'], 'endpoint archived', state, ctx);
      const archived = makeEvent(
        'EndpointArchived',
        { reason: command.reason ?? '' },
        ctx.metadata,
      );
      return ok([...(cleared.ok ? cleared.value : []), archived]);
    }
    case 'Pause': {
      const refused = checkPauseEnd(command.until, ctx.now);
      if (refused) return refused;
      return event('Paused', {
        until: command.until === null ? null : toIso(command.until),
        reason: command.reason ?? '',
      });
    }
    case 'Resume':
      return state.pause === null ? ok([]) : event('Resumed', { reason: command.reason ?? '' });
    case 'Dispatch':
      return dispatchDue(command.leaseMarginMs, command.holds ?? NO_HOLDS, state, ctx, {
        aheadMs: command.aheadMs ?? 0,
      });
    case 'RecordDispatch':
      return recordDispatch(command, state, ctx);
    case 'RecordResponse':
      return recordResponse(command, state, ctx);
    case 'ProposeHint':
      return decideHint(command, state, ctx);
    case 'Propose':
      return decideProposal(command, state, ctx);
    case 'ExpireHint':
      return expireHint(command.slot, command.hintId, state, ctx);
    case 'ClearHints':
      return clearHints(command.slots ?? ['interval', 'oneShot'], command.reason ?? '', state, ctx);
    case 'ObserveUpstream': {
      const observed = observeUpstream(command.edgeId, command.response, state, ctx);
      const fired = observed.ok && observed.value.some((e) => e.type === 'CascadeTriggered');
      if (!observed.ok || !fired || command.dispatch === undefined) return observed;
      // The cascade's run, decided on the state the observation leaves (nothing when it is not
      // due at once: a run in flight, a pause, a closed gate is still the dispatcher's to skip).
      const after = observed.value.reduce(evolve, state);
      const { leaseMarginMs, holds } = command.dispatch;
      const dispatched = dispatchDue(leaseMarginMs, holds, after, ctx);
      const runs = dispatched.ok ? dispatched.value : [];
      return ok([...observed.value, ...runs.filter((e) => e.type !== 'RunSkipped')]);
    }
  }
}

/**
 * A registration of an endpoint that exists: registering is idempotent per id, so one asking for
 * the endpoint as it is (same job, same parsed config — defaults applied, key order ignored) is
 * already satisfied (no event). Secret header values are compared as the caller passes them:
 * sealed values differ on every sealing, so the caller reuses the stored sealed value for a
 * secret whose opened value it found equal. A different registration, or an archived endpoint,
 * is a conflict naming what differs.
 */
function reregister(jobId: string, config: EndpointConfig, state: EndpointState): Decided {
  const id = state.endpointId;
  if (state.status === 'archived') {
    return fail('conflict', `endpoint ${id} already exists and is archived`);
  }
  // The stored config parsed again, so that a default added since it was stored is compared too.
  const stored = EndpointConfig.safeParse(state.config);
  const parsed = stored.success ? stored.data : state.config;
  // A retry that does not name a start policy asks for the one the endpoint was given.
  const current =
    config.start === undefined && parsed !== null ? { ...parsed, start: undefined } : parsed;
  const differs = differingPaths({ jobId: state.jobId, config: current }, { jobId, config });
  if (differs.length === 0) return ok([]);
  return fail('conflict', `endpoint ${id} already exists with a different ${differs.join(', ')}`, {
    field: differs[0] ?? 'config',
    details: { differs },
  });
}

/**
 * A pause must end in the future, and within {@link MAX_HORIZON_MS} (null pauses until resumed,
 * which is what a far-off end means), so its end is always an instant the log can hold.
 */
export function checkPauseEnd(until: Millis | null, now: Millis): Decided | null {
  if (until === null) return null;
  if (until <= now) return fail('validation', 'pause must end in the future', { field: 'until' });
  if (until > now + MAX_HORIZON_MS) {
    return fail('validation', 'a pause ends within 100 years; use null to pause until resumed', {
      field: 'until',
    });
  }
  return null;
}

function parseConfig(input: unknown, now: Millis): Result<EndpointConfig> {
  const parsed = EndpointConfig.safeParse(input);
  if (parsed.success) {
    const { start } = parsed.data;
    if (start?.kind === 'at' && fromIso(start.at) > now + MAX_HORIZON_MS) {
      return fail('validation', 'config.start.at: at most 100 years ahead', {
        field: 'config.start.at',
      });
    }
    return ok(parsed.data);
  }
  const issue = parsed.error.issues[0];
  const field = ['config', ...(issue?.path ?? [])].join('.');
  // A bad record key reports "Invalid key in record"; the key's own rule says why.
  const inner = issue && 'issues' in issue ? issue.issues[0]?.message : undefined;
  return fail('validation', `${field}: ${inner ?? issue?.message ?? 'invalid'}`, { field });
}

function recordResponse(
  command: Extract<EndpointCommand, { type: 'RecordResponse' }>,
  state: EndpointState,
  ctx: DecideContext,
): Decided {
  const { response } = command;
  const isTest = response.test === true;
  if (!isTest && state.inFlight?.runId !== response.runId) {
    // Recording is idempotent per run id: the run's response is already in.
    if (state.lastRun?.runId === response.runId) return ok([]);
    return fail('not_found', `run ${response.runId} was not dispatched`, { field: 'runId' });
  }
  return responseRecorded(response, ctx.metadata);
}

/**
 * A run's response as the event that records it, validated. The decider's `RecordResponse`
 * uses it after checking the run against the state; the executor uses it alone: a run only
 * reaches an executor after its RunDispatched, and its response is appended under the key
 * `response:<runId>`, so recording it needs no read of the stream and never counts twice.
 */
export function responseRecorded(
  response: EventDataInput<'ResponseRecorded'>,
  metadata: EventMetadata,
): Decided {
  const parsed = catalogue.ResponseRecorded.schema.safeParse(response);
  if (!parsed.success) {
    const field = parsed.error.issues[0]?.path.join('.') ?? '';
    return fail('validation', `response.${field}: ${parsed.error.issues[0]?.message}`, { field });
  }
  // Built from the data just parsed: makeEvent would parse it a second time (each run's response
  // goes through here, its body included).
  const event: EventOf<'ResponseRecorded'> = {
    type: 'ResponseRecorded',
    data: parsed.data,
    metadata,
  };
  return ok([event]);
}
