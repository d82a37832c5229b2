import { endpointStream, makeEvent, type DomainEvent, type EventMetadata } from '@orrery/domain';
import { describe, expect, it } from 'vitest';
import { useApiHarness } from '../test-support/api-harness.js';

const MINUTE = 60_000;
/** The API's clock, which each test sets 10 minutes after the history it wrote. */
let now = Date.now();
const api = useApiHarness({ now: () => now });
const user: EventMetadata = { tenantId: 't1', actor: { kind: 'user', id: 'u' } };
const iso = (ms: number) => new Date(ms).toISOString();

/**
 * The start of a test's history, "10 minutes ago" to the API. The log's time never goes back,
 * so a history cannot be written in the past of events already logged: each test writes its
 * own after the last one's (and the harness's), and moves the API's clock past it instead.
 */
function tenMinutesAgo(): number {
  const t0 = Math.max(now, Date.now() + 1);
  now = t0 + 10 * MINUTE;
  return t0;
}

/** Appends one event to the endpoint's stream, recorded at `at`; returns its position. */
const append = async (endpointId: string, event: DomainEvent, at: number) => {
  const result = await api().deps.store.append(endpointStream('t1', endpointId), [event], {
    expectedVersion: 'any',
    recordedAt: iso(at),
  });
  return result.positions[0] ?? 0;
};

/**
 * Given an endpoint registered 10 minutes ago (every minute), run once at
 * registration with a good response, then an interval hint of 10 s proposed
 * 2 minutes after registration: the positions of the response and the hint.
 */
async function endpointWithHint(endpointId: string, t0: number) {
  await append(
    endpointId,
    makeEvent(
      'EndpointRegistered',
      {
        endpointId,
        jobId: 'j',
        tenantId: 't1',
        registeredAt: iso(t0),
        config: {
          name: endpointId,
          request: {
            url: 'http://127.0.0.1:9/x',
            headers: { authorization: { value: 'enc:v1:abc.def.ghi', secret: true } },
          },
          baseline: { kind: 'interval', everyMs: MINUTE },
        },
      },
      user,
    ),
    t0,
  );
  await append(
    endpointId,
    makeEvent(
      'RunDispatched',
      {
        runId: `${endpointId}-r1`,
        scheduledFor: iso(t0),
        dispatchedAt: iso(t0),
        leaseUntil: iso(t0 + 30_000),
        attempt: 1,
        reason: 'first_run',
      },
      { ...user, actor: { kind: 'system', id: 'dispatcher' } },
    ),
    t0,
  );
  const response = await append(
    endpointId,
    makeEvent(
      'ResponseRecorded',
      {
        runId: `${endpointId}-r1`,
        startedAt: iso(t0),
        finishedAt: iso(t0 + 1000),
        durationMs: 1000,
        status: 200,
        ok: true,
        headers: {},
        body: null,
        bodyTruncated: false,
      },
      { ...user, actor: { kind: 'system', id: 'executor' } },
    ),
    t0 + 1000,
  );
  const hint = await append(
    endpointId,
    makeEvent(
      'HintProposed',
      {
        slot: 'interval',
        intervalMs: 10_000,
        hintId: `${endpointId}-h1`,
        source: 'planner',
        sourceId: 'heuristic',
        reason: 'busy upstream',
        expiresAt: iso(t0 + 60 * MINUTE),
      },
      { ...user, actor: { kind: 'planner', id: 'heuristic' } },
    ),
    t0 + 2 * MINUTE,
  );
  return { response, hint };
}

const explain = (endpointId: string, query = '', key?: string | null) =>
  api().request('GET', `/v1/endpoints/${endpointId}/explain${query}`, { key });

describe('GET /v1/endpoints/:endpointId/explain', () => {
  it('explains the next run now, with the live hint and the recent decisions', async () => {
    const t0 = tenMinutesAgo();
    const { hint } = await endpointWithHint('ex-now', t0);
    const { status, body } = await explain('ex-now');
    expect(status).toBe(200);
    expect(body).toMatchObject({
      endpointId: 'ex-now',
      jobId: 'j',
      asOf: { position: hint },
      streamVersion: 4,
      next: { reason: 'interval_hint', at: iso(t0 + 10_000) },
      inputs: {
        status: 'active',
        baseline: { kind: 'interval', everyMs: MINUTE },
        anchor: { kind: 'lastRun', runId: 'ex-now-r1', scheduledFor: iso(t0) },
        intervalHint: { hintId: 'ex-now-h1', source: 'planner', intervalMs: 10_000 },
        pause: null,
        inFlight: null,
      },
      hints: { interval: { hintId: 'ex-now-h1', reason: 'busy upstream', live: true } },
      bounds: { minIntervalMs: 0, maxIntervalMs: null, jitterMs: 0 },
      recentDecisions: {
        dispatches: [{ runId: 'ex-now-r1', scheduledFor: iso(t0), reason: 'first_run' }],
        hintEvents: [{ type: 'HintProposed', hintId: 'ex-now-h1', actor: { kind: 'planner' } }],
      },
    });
    expect(body.asOf.time).toBe(iso(now));
    expect(JSON.stringify(body)).not.toContain('enc:v1');
  });

  it('replays the state at a position before the hint: no hint, the baseline decides', async () => {
    const t0 = tenMinutesAgo();
    const { response } = await endpointWithHint('ex-pos', t0);
    const { status, body } = await explain('ex-pos', `?at=${response}`);
    expect(status).toBe(200);
    expect(body).toMatchObject({
      asOf: { position: response, time: iso(t0 + 1000) },
      streamVersion: 3,
      next: { reason: 'baseline_interval', at: iso(t0 + MINUTE) },
      inputs: { now: iso(t0 + 1000), intervalHint: null },
      hints: { interval: null, oneShot: null },
      recentDecisions: { hintEvents: [] },
    });
  });

  it('replays the state at an instant: in flight before the response, and 404 before registration', async () => {
    const t0 = tenMinutesAgo();
    await endpointWithHint('ex-time', t0);
    const during = await explain('ex-time', `?at=${iso(t0 + 500)}`);
    expect(during.status).toBe(200);
    expect(during.body).toMatchObject({
      asOf: { time: iso(t0 + 500) },
      streamVersion: 2,
      next: { reason: 'baseline_interval', at: iso(t0 + MINUTE) },
      inputs: { inFlight: { runId: 'ex-time-r1', leaseUntil: iso(t0 + 30_000), attempt: 1 } },
    });
    const earlier = await explain('ex-time', `?at=${encodeURIComponent(iso(t0 - 1000))}`);
    expect(earlier.status).toBe(404);
    expect(earlier.body.type).toBe('/problems/not-found');
  });

  it('refuses a bad `at` with 400 and hides the endpoint from another tenant', async () => {
    await endpointWithHint('ex-iso', tenMinutesAgo());
    const bad = await explain('ex-iso', '?at=garbage');
    expect(bad.status).toBe(400);
    expect(bad.body.errors[0].field).toBe('querystring.at');
    const other = await explain('ex-iso', '', api().keys.t2);
    expect(other.status).toBe(404);
    expect(JSON.stringify(other.body)).not.toContain('busy upstream');
    expect((await explain('nobody')).status).toBe(404);
    expect((await explain('ex-iso', '', null)).status).toBe(401);
  });
});
