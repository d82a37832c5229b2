/**
 * A run's life as the services write it: the dispatcher's `Dispatch` (a run, a skip behind a
 * closed gate, or a lapsed run again), the executor's response, and the cascade processor's
 * `ObserveUpstream` on each downstream. Every event comes out of the endpoint decider (or the
 * decider's response rule, as the executor uses it), under the idempotency key the service uses.
 */
import {
  decide,
  responseRecorded,
  toIso,
  type DomainEvent,
  type EdgeDefinition,
  type EventDataInput,
  type Millis,
  type UpstreamResponse,
} from '@orrery/domain';
import { LEASE_MARGIN_MS, type Sim } from './sim.js';

const DISPATCHER = { kind: 'system', id: 'dispatcher-1' } as const;
const EXECUTOR = { kind: 'system', id: 'executor-1' } as const;

function decided(result: ReturnType<typeof decide>, what: string): readonly DomainEvent[] {
  if (!result.ok) throw new Error(`${what}: ${result.error.code}: ${result.error.message}`);
  return result.value;
}

/** The dispatcher's key (see dispatchKey in @orrery/scheduling). */
function dispatchKey(events: readonly DomainEvent[]): string {
  const first = events[0];
  if (first?.type === 'RunDispatched') return `dispatch:${first.data.runId}:${first.data.attempt}`;
  if (first?.type === 'RunSkipped') {
    return `skip:${first.data.scheduledFor}:${first.data.cascadeId ?? first.data.hintId ?? 'slot'}`;
  }
  throw new Error(`a dispatch decided ${first?.type ?? 'nothing'}`);
}

/**
 * The executor takes a dispatched run from the queue and calls the target; the response is
 * recorded when the call ends (so the log stays in time order).
 */
function call(sim: Sim, index: number, run: DomainEvent, at: Millis, traceparent: string): void {
  if (run.type !== 'RunDispatched') return;
  // One run in a thousand is lost (a worker died): its lease lapses and it is dispatched again.
  if (sim.rng.chance(0.001)) return;
  const { runId } = run.data;
  const data = answer(sim, index, runId, at + sim.rng.int(2, 40));
  const recordedAt = Date.parse(data.finishedAt) + sim.rng.int(1, 15);
  sim.later({ at: recordedAt, kind: 'respond', index, runId, traceparent, data });
}

export function tick(sim: Sim, index: number, now: Millis): void {
  const traceparent = sim.rng.traceparent();
  const events = decided(
    decide(
      { type: 'Dispatch', leaseMarginMs: LEASE_MARGIN_MS, holds: sim.holds(index) },
      sim.state(index),
      {
        now,
        metadata: sim.metadata(index, DISPATCHER, { traceparent }),
      },
    ),
    'dispatch',
  );
  if (events.length === 0) {
    // Not due after all: the dispatcher defers the row and looks again later.
    sim.reschedule(index, now + 1_000);
    return;
  }
  sim.apply(index, events, now, dispatchKey(events));
  const run = events.find((e) => e.type === 'RunDispatched');
  if (!run) return sim.reschedule(index, now);
  call(sim, index, run, now, traceparent);
  // In flight: due again only if its lease lapses (its response reschedules it first).
  const leaseUntil = sim.state(index).inFlight?.leaseUntil;
  if (leaseUntil === undefined) sim.reschedule(index, now);
  else sim.claimAt(index, leaseUntil);
}

/** What the target answered: mostly 200s; flaky endpoints (one in ten) fail a third of the time. */
function answer(
  sim: Sim,
  index: number,
  runId: string,
  startedAt: Millis,
): EventDataInput<'ResponseRecorded'> {
  const { rng } = sim;
  const timeoutMs = sim.state(index).config?.timeoutMs ?? 10_000;
  const flaky = index % 10 === 7;
  const roll = rng.next();
  const failing = flaky ? 0.33 : 0.03;
  const common = { runId, startedAt: toIso(startedAt), bodyTruncated: false };
  if (roll < failing * 0.2) {
    return {
      ...common,
      finishedAt: toIso(startedAt + timeoutMs),
      durationMs: timeoutMs,
      status: null,
      ok: false,
      headers: {},
      body: null,
      error: { kind: 'timeout', message: `no response within ${timeoutMs} ms` },
    };
  }
  const durationMs = Math.round(rng.int(5, 400) + rng.next() * 1000) / 10;
  const ok = roll >= failing;
  const body = ok
    ? { ok: true, processed: rng.int(0, 5000), batch: `b-${rng.hex(8)}` }
    : { error: 'upstream unavailable', retryable: true };
  const text = JSON.stringify(body);
  return {
    ...common,
    finishedAt: toIso(startedAt + Math.ceil(durationMs)),
    durationMs,
    status: ok ? 200 : rng.pick([500, 502, 503]),
    ok,
    headers: {
      'content-type': 'application/json; charset=utf-8',
      'content-length': String(text.length),
      date: new Date(startedAt).toUTCString(),
      connection: 'keep-alive',
    },
    body,
  };
}

export function respond(
  sim: Sim,
  index: number,
  runId: string,
  traceparent: string,
  data: EventDataInput<'ResponseRecorded'>,
  recordedAt: Millis,
): void {
  const inFlight = sim.state(index).inFlight;
  if (inFlight?.runId !== runId) return;
  const finishedAt = Date.parse(data.finishedAt);
  const cascade = inFlight.cascade;
  const metadata = sim.metadata(index, EXECUTOR, { causationId: runId, traceparent });
  const events = decided(
    responseRecorded({ ...data, ...(cascade ? { cascade } : {}) }, metadata),
    'response',
  );
  const position = sim.apply(index, events, recordedAt, `response:${runId}`);
  const spec = sim.world.endpoints[index];
  if (!spec) return;
  const response: UpstreamResponse = {
    endpointId: spec.endpointId,
    runId,
    position,
    respondedAt: finishedAt,
    status: data.status,
    ok: data.ok,
    headers: data.headers,
    body: data.body,
    durationMs: data.durationMs,
    cascade: cascade ?? { root: runId, depth: 0, chain: [spec.endpointId] },
    traceparent,
  };
  for (const { downstream, edge } of sim.world.outgoing.get(index) ?? []) {
    sim.later({
      at: recordedAt + sim.rng.int(3, 30),
      kind: 'observe',
      index: downstream,
      edge,
      response,
    });
  }
  if (spec.everyMs !== null)
    sim.later({
      at: recordedAt + sim.rng.int(200, 5_000),
      kind: 'steer',
      index,
      basedOn: position,
    });
  sim.reschedule(index, recordedAt);
}

export function observe(
  sim: Sim,
  index: number,
  edge: EdgeDefinition,
  response: UpstreamResponse,
  now: Millis,
): void {
  const result = decide(
    {
      type: 'ObserveUpstream',
      edgeId: edge.edgeId,
      response,
      dispatch: { leaseMarginMs: LEASE_MARGIN_MS, holds: sim.holds(index) },
    },
    sim.state(index),
    {
      now,
      metadata: sim.metadata(
        index,
        { kind: 'cascade', id: edge.edgeId },
        {
          causationId: response.runId,
          ...(response.traceparent === undefined ? {} : { traceparent: response.traceparent }),
        },
      ),
    },
  );
  const events = decided(result, `observe ${edge.edgeId}`);
  sim.apply(index, events, now, `observe:${edge.edgeId}:${response.position}`);
  const run = events.find((e) => e.type === 'RunDispatched');
  const recorded = events.some((e) => e.type === 'ResponseRecorded');
  if (run && !recorded) call(sim, index, run, now, response.traceparent ?? sim.rng.traceparent());
  sim.reschedule(index, now);
}
