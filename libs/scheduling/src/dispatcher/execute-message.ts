import type { EndpointState, EventOf, QueueMessage, QueuePayload } from '@orrery/domain';

/**
 * The execute message of a dispatched run: the request, timeout and cap it calls with, when the
 * call may start (the slot, or `startAt` for a run dispatched ahead), and the lease after which an
 * executor taking it late skips it (the run has been dispatched again).
 *
 * Message ids are unique across tenants (`<tenant>.<runId>`, plus `-a<n>` for attempt n > 1):
 * BullMQ keeps finished jobs for a while and would otherwise swallow a re-dispatch.
 */
export function executeMessage(
  dispatched: EventOf<'RunDispatched'>,
  state: EndpointState,
): QueueMessage<'execute'> {
  const { config } = state;
  if (config === null) throw new Error(`endpoint ${state.endpointId} has no config`);
  const { runId, attempt, scheduledFor, dispatchedAt, startAt, leaseUntil, cascade, reason } =
    dispatched.data;
  // A cascade's run sends the request its templates rendered (kept with the run in flight).
  const rendered = state.inFlight?.runId === runId ? state.inFlight.request : undefined;
  const data: QueuePayload<'execute'> = {
    runId,
    endpointId: state.endpointId,
    tenantId: state.tenantId,
    scheduledFor,
    dispatchedAt,
    ...(startAt === undefined ? {} : { startAt }),
    leaseUntil,
    attempt,
    request: rendered ?? config.request,
    timeoutMs: config.timeoutMs,
    responseCapBytes: config.responseCapBytes,
    ...(dispatched.metadata.traceparent === undefined
      ? {}
      : { traceparent: dispatched.metadata.traceparent }),
    ...(cascade === undefined ? {} : { cascade }),
    reason,
  };
  const id = `${state.tenantId}.${runId}${attempt === 1 ? '' : `-a${attempt}`}`;
  return { id, data };
}
