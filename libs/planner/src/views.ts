import {
  toIso,
  type EndpointState,
  type EndpointView,
  type EventOf,
  type LiveHintView,
  type Millis,
  type RecordedEvent,
  type ResponseSummary,
} from '@orrery/domain';

/** A response body kept for a planner: JSON up to this size, else a preview. */
const MAX_BODY_CHARS = 4_000;

export function responseSummary(
  event: RecordedEvent & EventOf<'ResponseRecorded'>,
): ResponseSummary {
  const { data } = event;
  return {
    runId: data.runId,
    position: event.position,
    respondedAt: data.finishedAt,
    status: data.status,
    ok: data.ok,
    durationMs: data.durationMs,
    body: boundedBody(data.body),
    ...(data.error ? { error: `${data.error.kind}: ${data.error.message}` } : {}),
    ...(data.cascade ? { cascade: data.cascade } : {}),
  };
}

function boundedBody(body: unknown): unknown {
  const text = JSON.stringify(body) ?? 'null';
  return text.length <= MAX_BODY_CHARS
    ? body
    : { truncated: true, preview: text.slice(0, MAX_BODY_CHARS) };
}

const hintView = (
  hint: EndpointState['hints']['interval'] | EndpointState['hints']['oneShot'],
  now: Millis,
): LiveHintView | null => {
  if (!hint || hint.expiresAt <= now) return null;
  return {
    hintId: hint.hintId,
    source: hint.source,
    expiresAt: toIso(hint.expiresAt),
    reason: hint.reason,
    ...('intervalMs' in hint ? { intervalMs: hint.intervalMs } : {}),
    ...('runAt' in hint ? { runAt: toIso(hint.runAt) } : {}),
  };
};

/** An endpoint's folded state as a planner sees it. */
export function endpointView(
  state: EndpointState,
  latest: ResponseSummary | null,
  now: Millis,
): EndpointView {
  const config = state.config;
  if (!config) throw new Error(`endpoint ${state.endpointId} is not registered`);
  const paused =
    state.pause && (state.pause.until === null || state.pause.until > now)
      ? {
          until: state.pause.until === null ? null : toIso(state.pause.until),
          reason: state.pause.reason,
        }
      : null;
  return {
    endpointId: state.endpointId,
    jobId: state.jobId,
    name: config.name,
    baseline: config.baseline,
    minIntervalMs: config.minIntervalMs,
    maxIntervalMs: config.maxIntervalMs ?? null,
    paused,
    hints: {
      interval: hintView(state.hints.interval, now),
      oneShot: hintView(state.hints.oneShot, now),
    },
    consecutiveFailures: state.consecutiveFailures,
    latest,
  };
}
