import { evolve, jobCatalogue, type DomainEvent, type EndpointState } from '@orrery/domain';
import { describe, expect, it } from 'vitest';
import {
  SECOND,
  T0,
  archived,
  dispatched,
  intervalHinted,
  iso,
  oneShotHinted,
  pausedUntil,
  registered,
  responded,
  stateOf,
} from '../endpoint-history.test-support.js';
import { runIdFor } from '../projection/schedule-of.js';
import type { ClaimedEndpoint } from './claim.js';
import { planDispatch, type DispatchPlan } from './plan-dispatch.js';

const settings = { dispatcherId: 'dispatcher-1', leaseMarginMs: 5 * SECOND };
const MINUTE = 60 * SECOND;

const claim = (state: EndpointState, endpointId = state.endpointId): ClaimedEndpoint => ({
  endpointId,
  tenantId: 't1',
  streamVersion: state.version,
  state,
});

/** The plan must hold exactly one dispatch; returns its append, event and job. */
function onlyDispatch(plan: DispatchPlan) {
  expect(plan.appends).toHaveLength(1);
  expect(plan.jobs).toHaveLength(1);
  expect(plan.deferrals).toEqual([]);
  expect(plan.refusals).toEqual([]);
  const [append] = plan.appends;
  const [job] = plan.jobs;
  const event = append?.events[0];
  if (!append || !job || event?.type !== 'RunDispatched') throw new Error('no RunDispatched');
  expect(append.events).toHaveLength(1);
  return { append, event, job };
}

/** Then the endpoint after the planned append was written. */
const after = (state: EndpointState, plan: DispatchPlan): EndpointState =>
  (plan.appends[0]?.events ?? []).reduce<EndpointState>((s, e: DomainEvent) => evolve(s, e), state);

describe('planDispatch', () => {
  describe('given a due endpoint', () => {
    const state = stateOf(
      registered('e1', {
        timeoutMs: 2 * SECOND,
        responseCapBytes: 1024,
        request: {
          method: 'POST',
          url: 'http://127.0.0.1:9/x',
          headers: { 'x-key': { value: 'v' } },
          body: '{}',
        },
      }),
    );
    const now = T0 + 40;
    const runId = runIdFor('e1', T0);

    it('appends one RunDispatched at the claimed version, keyed by run and attempt', () => {
      const { append, event } = onlyDispatch(planDispatch([claim(state)], now, settings));

      expect(append).toMatchObject({
        streamId: 'endpoint-e1',
        expectedVersion: 1,
        idempotencyKey: `dispatch:${runId}:1`,
      });
      expect(event.data).toEqual({
        runId,
        scheduledFor: iso(T0),
        dispatchedAt: iso(now),
        leaseUntil: iso(now + 2 * SECOND + 5 * SECOND),
        attempt: 1,
        reason: 'first_run',
      });
      expect(event.metadata).toEqual({
        tenantId: 't1',
        actor: { kind: 'system', id: 'dispatcher-1' },
      });
    });

    it('enqueues an execute job, id = run id, that carries the request, timeout and cap', () => {
      const { job } = onlyDispatch(planDispatch([claim(state)], now, settings));

      expect(job).toEqual({
        id: runId,
        data: {
          runId,
          endpointId: 'e1',
          tenantId: 't1',
          scheduledFor: iso(T0),
          dispatchedAt: iso(now),
          // The same lease as the RunDispatched: an executor taking the job later skips it.
          leaseUntil: iso(now + 2 * SECOND + 5 * SECOND),
          attempt: 1,
          request: {
            method: 'POST',
            url: 'http://127.0.0.1:9/x',
            headers: { 'x-key': { value: 'v', secret: false } },
            body: '{}',
          },
          timeoutMs: 2 * SECOND,
          responseCapBytes: 1024,
        },
      });
      // The executor parses payloads against the job catalogue when it dequeues them.
      expect(jobCatalogue.execute.safeParse(job.data).success).toBe(true);
    });

    it('once the append is in, the same row is no longer due until the lease ends', () => {
      const plan = planDispatch([claim(state)], now, settings);

      const again = planDispatch([claim(after(state, plan))], now, settings);

      expect(again.appends).toEqual([]);
      expect(again.deferrals).toEqual([
        { endpointId: 'e1', streamVersion: 2, until: now + 7 * SECOND },
      ]);
    });
  });

  describe('given a row that is not due after all', () => {
    const ranWithHint = stateOf(
      registered('e1', { baseline: { kind: 'interval', everyMs: MINUTE } }),
      dispatched('run-1', T0),
      responded('run-1'),
      intervalHinted('h1', 5 * SECOND, T0 + 8 * SECOND),
    );

    it('dispatches on the interval hint while it is live', () => {
      const { event } = onlyDispatch(planDispatch([claim(ranWithHint)], T0 + 6 * SECOND, settings));

      expect(event.data).toMatchObject({
        runId: runIdFor('e1', T0 + 5 * SECOND),
        scheduledFor: iso(T0 + 5 * SECOND),
        reason: 'interval_hint',
      });
    });

    it('defers it to the baseline once the hint has lapsed (the row was written with the hint)', () => {
      const plan = planDispatch([claim(ranWithHint)], T0 + 10 * SECOND, settings);

      expect(plan.appends).toEqual([]);
      expect(plan.jobs).toEqual([]);
      expect(plan.deferrals).toEqual([{ endpointId: 'e1', streamVersion: 4, until: T0 + MINUTE }]);
    });

    it('defers a paused endpoint until the pause ends', () => {
      const state = stateOf(registered('e1'), pausedUntil(T0 + 30 * SECOND));

      const plan = planDispatch([claim(state)], T0 + 10, settings);

      expect(plan.appends).toEqual([]);
      expect(plan.deferrals).toEqual([
        { endpointId: 'e1', streamVersion: 2, until: T0 + 30 * SECOND },
      ]);
    });

    it('defers an endpoint paused until resumed, or archived, with no end', () => {
      const paused = stateOf(registered('e1'), pausedUntil(null));
      const gone = stateOf(registered('e2'), archived());

      const plan = planDispatch([claim(paused), claim(gone)], T0 + 10, settings);

      expect(plan.appends).toEqual([]);
      expect(plan.jobs).toEqual([]);
      expect(plan.deferrals).toEqual([
        { endpointId: 'e1', streamVersion: 2, until: null },
        { endpointId: 'e2', streamVersion: 2, until: null },
      ]);
    });

    it('defers a run in flight until its lease ends', () => {
      const state = stateOf(registered('e1'), dispatched('run-1', T0, { leaseMs: 15 * SECOND }));

      const plan = planDispatch([claim(state)], T0 + 10 * SECOND, settings);

      expect(plan.appends).toEqual([]);
      expect(plan.deferrals).toEqual([
        { endpointId: 'e1', streamVersion: 2, until: T0 + 15 * SECOND },
      ]);
    });
  });

  describe('given a run whose lease lapsed without a response', () => {
    const runId = runIdFor('e1', T0);
    const lapsed = stateOf(registered('e1'), dispatched(runId, T0, { leaseMs: 15 * SECOND }));
    const now = T0 + 20 * SECOND;

    it('dispatches the same run again as attempt 2, for the same slot', () => {
      const { append, event, job } = onlyDispatch(planDispatch([claim(lapsed)], now, settings));

      expect(append.idempotencyKey).toBe(`dispatch:${runId}:2`);
      expect(append.expectedVersion).toBe(2);
      expect(event.data).toMatchObject({
        runId,
        scheduledFor: iso(T0),
        dispatchedAt: iso(now),
        attempt: 2,
        reason: 'lease_expired',
      });
      expect(job.id).toBe(`${runId}-a2`);
      expect(job.data).toMatchObject({ runId, attempt: 2, scheduledFor: iso(T0) });
    });

    it('gives every further attempt its own job id', () => {
      const second = planDispatch([claim(lapsed)], now, settings);
      const state = after(lapsed, second);

      const third = planDispatch([claim(state)], now + MINUTE, settings);

      const { append, job } = onlyDispatch(third);
      expect(append.idempotencyKey).toBe(`dispatch:${runId}:3`);
      expect(job.id).toBe(`${runId}-a3`);
    });
  });

  describe('given a one-shot hint', () => {
    const state = stateOf(
      registered('e1', { baseline: { kind: 'interval', everyMs: MINUTE } }),
      dispatched('run-1', T0),
      responded('run-1'),
      oneShotHinted('h1', T0 + 10 * SECOND, T0 + 50 * SECOND),
    );

    it('the run it causes carries its hintId, and spends the hint', () => {
      const plan = planDispatch([claim(state)], T0 + 12 * SECOND, settings);

      const { event, job } = onlyDispatch(plan);
      const runId = runIdFor('e1', T0 + 10 * SECOND);
      expect(event.data).toMatchObject({
        runId,
        scheduledFor: iso(T0 + 10 * SECOND),
        reason: 'one_shot_hint',
        hintId: 'h1',
      });
      expect(job.id).toBe(runId);
      expect(after(state, plan).hints.oneShot).toBeNull();
    });

    it('a baseline run carries no hintId', () => {
      const baseline = stateOf(
        registered('e1', { baseline: { kind: 'interval', everyMs: MINUTE } }),
        dispatched('run-1', T0),
        responded('run-1'),
      );

      const { event } = onlyDispatch(planDispatch([claim(baseline)], T0 + MINUTE, settings));

      expect(event.data.reason).toBe('baseline_interval');
      expect(event.data).not.toHaveProperty('hintId');
    });
  });

  it('plans many rows at once, appends and jobs in the same order', () => {
    const due1 = stateOf(registered('e1'));
    const paused = stateOf(registered('e2'), pausedUntil(null));
    const due3 = stateOf(registered('e3'));

    const plan = planDispatch([claim(due1), claim(paused), claim(due3)], T0 + 10, settings);

    expect(plan.appends.map((a) => a.streamId)).toEqual(['endpoint-e1', 'endpoint-e3']);
    expect(plan.jobs.map((j) => j.id)).toEqual([runIdFor('e1', T0), runIdFor('e3', T0)]);
    expect(plan.deferrals.map((d) => d.endpointId)).toEqual(['e2']);
  });
});
