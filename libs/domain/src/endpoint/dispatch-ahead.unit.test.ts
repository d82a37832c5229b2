import { describe, expect, it } from 'vitest';
import type { DomainEvent } from '../events/event.js';
import type { EventMetadata } from '../events/metadata.js';
import { decide } from './decide.js';
import { evolve } from './evolve.js';
import {
  SECOND,
  T0,
  dispatched,
  iso,
  pausedUntil,
  registered,
  responded,
  stateOf,
} from './history.test-support.js';
import { runIdFor } from './schedule-of.js';
import type { EndpointState } from './state.js';

// Dispatch ahead: the dispatcher decides a run up to `aheadMs` before its due time and records
// when its call is to start (`startAt`); the executor waits for it.

const dispatcher: EventMetadata = { tenantId: 't1', actor: { kind: 'system', id: 'dispatcher-1' } };
const AHEAD = 200;
const MARGIN = 5 * SECOND;

/** When Dispatch (with `aheadMs`) is decided on `state` at `now`, then these events. */
function when(state: EndpointState, now: number, aheadMs: number | 'unset' = AHEAD) {
  const command = {
    type: 'Dispatch',
    leaseMarginMs: MARGIN,
    ...(aheadMs === 'unset' ? {} : { aheadMs }),
  } as const;
  const result = decide(command, state, { now, metadata: dispatcher });
  if (!result.ok) throw new Error(`${result.error.code}: ${result.error.message}`);
  return result.value;
}

const after = (state: EndpointState, events: readonly DomainEvent[]) =>
  events.reduce(evolve, state);

// An interval of 1 s (timeout 2 s) that ran at T0 and answered: its next slot is T0 + 1 s.
const slot = T0 + SECOND;
const answered = stateOf(
  registered('e1', { timeoutMs: 2 * SECOND }),
  dispatched(runIdFor('e1', T0), T0),
  responded(runIdFor('e1', T0), { at: T0 + 10 }),
);

describe('Dispatch ahead', () => {
  it('given a slot within the horizon, then RunDispatched now, starting at the slot, its lease counted from there', () => {
    const now = slot - 150;
    expect(when(answered, now)).toEqual([
      expect.objectContaining({
        type: 'RunDispatched',
        data: {
          runId: runIdFor('e1', slot),
          scheduledFor: iso(slot),
          dispatchedAt: iso(now),
          startAt: iso(slot),
          leaseUntil: iso(slot + 2 * SECOND + MARGIN),
          attempt: 1,
          reason: 'baseline_interval',
        },
      }),
    ]);
  });

  it('given a slot beyond the horizon, or no horizon, then nothing', () => {
    expect(when(answered, slot - AHEAD - 1)).toEqual([]);
    expect(when(answered, slot - 150, 'unset')).toEqual([]);
    expect(when(answered, slot - 150, 0)).toEqual([]);
  });

  it('given a run already due, then no startAt: it starts at once', () => {
    const [run] = when(answered, slot + 30);
    expect(run?.type === 'RunDispatched' && run.data.startAt).toBeUndefined();
  });

  it('once appended, the run counts from its start: the next slot is one interval after it', () => {
    const state = after(answered, when(answered, slot - 150));
    expect(state.lastRun?.dispatchedAt).toBe(slot);
    // Nothing more while it is in flight, however close its next slot comes.
    expect(when(state, slot + SECOND - 50)).toEqual([]);
    const done = after(state, [responded(runIdFor('e1', slot), { at: slot + 5 })]);
    const [next] = when(done, slot + SECOND - 100);
    expect(next).toMatchObject({
      type: 'RunDispatched',
      data: { scheduledFor: iso(slot + SECOND), startAt: iso(slot + SECOND) },
    });
  });

  it('given a run whose lease lapses within the horizon, then nothing before the lease lapses', () => {
    const lost = stateOf(
      registered('e1', { timeoutMs: 2 * SECOND }),
      dispatched(runIdFor('e1', T0), T0, { leaseMs: 3 * SECOND }),
    );
    expect(when(lost, T0 + 3 * SECOND - 100)).toEqual([]);
    expect(when(lost, T0 + 3 * SECOND)).toMatchObject([
      { type: 'RunDispatched', data: { attempt: 2, reason: 'lease_expired' } },
    ]);
  });

  it('given a pause that ends within the horizon, then nothing until it has ended', () => {
    const paused = after(answered, [pausedUntil(slot + 100)]);
    expect(when(paused, slot)).toEqual([]);
    expect(when(paused, slot + 100)).toMatchObject([{ type: 'RunDispatched' }]);
  });
});
