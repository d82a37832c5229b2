import { describe, expect, it } from 'vitest';
import type { DomainEvent } from '../events/event.js';
import type { EventMetadata } from '../events/metadata.js';
import { decide } from './decide.js';
import { evolve } from './evolve.js';
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
} from './history.test-support.js';
import { runIdFor } from './schedule-of.js';
import type { EndpointState } from './state.js';

// The Dispatch command: "dispatch whatever is due now". The dispatcher runs it on each claimed
// endpoint; the slot, run id and lease come from the governor and the state, never the caller.

const MINUTE = 60 * SECOND;
const dispatcher: EventMetadata = { tenantId: 't1', actor: { kind: 'system', id: 'dispatcher-1' } };
const dispatch = { type: 'Dispatch', leaseMarginMs: 5 * SECOND } as const;

/** When Dispatch is decided on `state` at `now`, then these events (or a throw on refusal). */
function when(state: EndpointState, now: number): readonly DomainEvent[] {
  const result = decide(dispatch, state, { now, metadata: dispatcher });
  if (!result.ok) throw new Error(`${result.error.code}: ${result.error.message}`);
  return result.value;
}

const after = (state: EndpointState, events: readonly DomainEvent[]) =>
  events.reduce(evolve, state);

describe('Dispatch', () => {
  describe('given a due endpoint', () => {
    const state = stateOf(registered('e1', { timeoutMs: 2 * SECOND }));
    const now = T0 + 40;

    it('then one RunDispatched for its slot, with a lease of timeout + margin', () => {
      const events = when(state, now);
      expect(events).toHaveLength(1);
      expect(events[0]).toMatchObject({
        type: 'RunDispatched',
        data: {
          runId: runIdFor('e1', T0),
          scheduledFor: iso(T0),
          dispatchedAt: iso(now),
          leaseUntil: iso(now + 2 * SECOND + 5 * SECOND),
          attempt: 1,
          reason: 'first_run',
        },
        metadata: dispatcher,
      });
    });

    it('once it is appended, nothing more is due until the lease ends', () => {
      const dispatchedState = after(state, when(state, now));
      expect(when(dispatchedState, now)).toEqual([]);
      expect(when(dispatchedState, now + 7 * SECOND - 1)).toEqual([]);
    });
  });

  describe('given nothing due', () => {
    it('then nothing: a live interval hint that has lapsed falls back to the baseline', () => {
      const state = stateOf(
        registered('e1', { baseline: { kind: 'interval', everyMs: MINUTE } }),
        dispatched('run-1', T0),
        responded('run-1'),
        intervalHinted('h1', 5 * SECOND, T0 + 8 * SECOND),
      );
      expect(when(state, T0 + 6 * SECOND)[0]).toMatchObject({
        data: { runId: runIdFor('e1', T0 + 5 * SECOND), reason: 'interval_hint' },
      });
      expect(when(state, T0 + 10 * SECOND)).toEqual([]);
    });

    it('then nothing while paused, paused until resumed, or archived', () => {
      expect(when(stateOf(registered('e1'), pausedUntil(T0 + 30 * SECOND)), T0 + 10)).toEqual([]);
      expect(when(stateOf(registered('e1'), pausedUntil(null)), T0 + 10)).toEqual([]);
      const gone = decide(dispatch, stateOf(registered('e1'), archived()), {
        now: T0,
        metadata: dispatcher,
      });
      expect(gone.ok).toBe(false);
    });

    it('then nothing while a run is in flight', () => {
      const state = stateOf(registered('e1'), dispatched('run-1', T0, { leaseMs: 15 * SECOND }));
      expect(when(state, T0 + 10 * SECOND)).toEqual([]);
    });
  });

  describe('given a run whose lease lapsed without a response', () => {
    const runId = runIdFor('e1', T0);
    const lapsed = stateOf(registered('e1'), dispatched(runId, T0, { leaseMs: 15 * SECOND }));

    it('then the same run again as attempt 2, for the same slot', () => {
      const [event] = when(lapsed, T0 + 20 * SECOND);
      expect(event).toMatchObject({
        data: { runId, scheduledFor: iso(T0), attempt: 2, reason: 'lease_expired' },
      });
      const third = when(after(lapsed, [event!]), T0 + 20 * SECOND + MINUTE);
      expect(third[0]).toMatchObject({ data: { runId, attempt: 3 } });
    });
  });

  describe('given a one-shot hint', () => {
    const state = stateOf(
      registered('e1', { baseline: { kind: 'interval', everyMs: MINUTE } }),
      dispatched('run-1', T0),
      responded('run-1'),
      oneShotHinted('h1', T0 + 10 * SECOND, T0 + 50 * SECOND),
    );

    it('the run it causes carries its hintId and spends it; a baseline run carries none', () => {
      const events = when(state, T0 + 12 * SECOND);
      expect(events[0]).toMatchObject({
        data: {
          runId: runIdFor('e1', T0 + 10 * SECOND),
          scheduledFor: iso(T0 + 10 * SECOND),
          reason: 'one_shot_hint',
          hintId: 'h1',
        },
      });
      expect(after(state, events).hints.oneShot).toBeNull();
      const baseline = stateOf(
        registered('e1', { baseline: { kind: 'interval', everyMs: MINUTE } }),
        dispatched('run-1', T0),
        responded('run-1'),
      );
      const [run] = when(baseline, T0 + MINUTE);
      expect(run?.data).toMatchObject({ reason: 'baseline_interval' });
      expect(run?.data).not.toHaveProperty('hintId');
    });
  });
});
