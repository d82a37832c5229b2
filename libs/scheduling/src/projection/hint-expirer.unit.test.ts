import { type DomainEvent } from '@orrery/domain';
import { describe, expect, it } from 'vitest';
import {
  SECOND,
  T0,
  dispatched,
  intervalHinted,
  iso,
  oneShotHinted,
  registered,
  responded,
  stateOf,
} from '@orrery/domain/testing';
import { scheduleOf } from '@orrery/domain';
import { expiredHints } from './hint-expirer.js';

const ran: DomainEvent[] = [registered('e1'), dispatched('run-1', T0), responded('run-1')];
const bothHints = [
  ...ran,
  intervalHinted('h-int', 250, T0 + 10 * SECOND),
  oneShotHinted('h-once', T0 + 20 * SECOND, T0 + 30 * SECOND),
];
const systemActor = { kind: 'system', id: 'hint-expirer' };

describe('expiredHints', () => {
  it('expires only the hint whose TTL has passed', () => {
    const events = expiredHints(stateOf(...bothHints), 't1', T0 + 20 * SECOND);

    expect(events).toEqual([
      {
        type: 'HintExpired',
        data: { hintId: 'h-int', slot: 'interval', expiresAt: iso(T0 + 10 * SECOND) },
        metadata: { tenantId: 't1', actor: systemActor },
      },
    ]);
  });

  it('expires both slots once both have lapsed', () => {
    const events = expiredHints(stateOf(...bothHints), 't1', T0 + 31 * SECOND);

    expect(events.map((e) => e.data)).toEqual([
      { hintId: 'h-int', slot: 'interval', expiresAt: iso(T0 + 10 * SECOND) },
      { hintId: 'h-once', slot: 'oneShot', expiresAt: iso(T0 + 30 * SECOND) },
    ]);
  });

  it('expires a hint at its expiry instant, when the governor stops using it', () => {
    const state = stateOf(...bothHints);
    const at = T0 + 10 * SECOND;

    expect(scheduleOf(state, at - 1).reason).toBe('interval_hint');
    expect(scheduleOf(state, at).reason).not.toBe('interval_hint');
    expect(expiredHints(state, 't1', at - 1)).toEqual([]);
    expect(expiredHints(state, 't1', at).map((e) => e.data)).toEqual([
      { hintId: 'h-int', slot: 'interval', expiresAt: iso(at) },
    ]);
  });

  it('expires nothing while the hints are live', () => {
    expect(expiredHints(stateOf(...bothHints), 't1', T0 + 5 * SECOND)).toEqual([]);
  });

  it('expires nothing when there are no hints', () => {
    expect(expiredHints(stateOf(...ran), 't1', T0 + 365 * 24 * 3600 * SECOND)).toEqual([]);
  });

  it("writes in the endpoint's tenant", () => {
    const events = expiredHints(stateOf(...bothHints), 'tenant-42', T0 + 31 * SECOND);

    expect(events.map((e) => e.metadata.tenantId)).toEqual(['tenant-42', 'tenant-42']);
  });

  it('once appended, the slots are empty and nothing is left to expire', () => {
    const now = T0 + 31 * SECOND;
    const events = expiredHints(stateOf(...bothHints), 't1', now);

    const state = stateOf(...bothHints, ...events);

    expect(state.hints).toEqual({ interval: null, oneShot: null });
    expect(scheduleOf(state, now).hintExpiresAt).toBeNull();
    expect(expiredHints(state, 't1', now)).toEqual([]);
  });
});
