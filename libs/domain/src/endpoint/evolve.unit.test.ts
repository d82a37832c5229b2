import { isDeepStrictEqual } from 'node:util';
import { describe, expect, it } from 'vitest';
import { makeEvent } from '../events/event.js';
import { evolve } from './evolve.js';
import {
  dispatched,
  endpointEvents,
  intervalHinted,
  iso,
  oneShotHinted,
  pausedUntil,
  registered,
  responded,
  SECOND,
  stateOf,
  T0,
  userMeta,
} from './history.test-support.js';
import { initialState, type EndpointState } from './state.js';

/** A state with every field away from its initial value, so a field a fold drops shows. */
function busyState(): EndpointState {
  const skipped = makeEvent(
    'RunSkipped',
    { scheduledFor: iso(T0 - SECOND), reason: 'gate_closed' },
    userMeta,
  );
  // Read back from a log (positions set), so the arbiter's memory is filled in too.
  return stateOf(
    ...endpointEvents('e1', [
      registered(),
      skipped,
      pausedUntil(T0 + 60 * SECOND),
      intervalHinted('h1', 5 * SECOND, T0 + 600 * SECOND),
      oneShotHinted('h2', T0 + 30 * SECOND, T0 + 600 * SECOND),
      dispatched('r1', T0),
      responded('r1', { ok: false }),
    ]),
  );
}

describe('evolve: the events of nine tenths of a log', () => {
  it('starts from a state with every field but the run in flight set', () => {
    const initial = initialState();
    const before = busyState();
    const unchanged = Object.keys(initial).filter((key) =>
      isDeepStrictEqual(before[key as keyof EndpointState], initial[key as keyof EndpointState]),
    );
    expect(unchanged).toEqual(['inFlight']);
  });

  it('a dispatch changes the run, the cascade clock and the version, and keeps the rest', () => {
    const before = busyState();
    const after = evolve(before, dispatched('r2', T0 + 2 * SECOND, { leaseMs: 10 * SECOND }));

    const run = { runId: 'r2', scheduledFor: T0 + 2 * SECOND, dispatchedAt: T0 + 2 * SECOND };
    expect(after).toStrictEqual({
      ...before,
      lastRun: run,
      inFlight: { ...run, leaseUntil: T0 + 12 * SECOND, attempt: 1 },
      cascade: { ...before.cascade, ownRunAt: T0 + 2 * SECOND },
      version: before.version + 1,
    });
    expect(before.inFlight).toBeNull(); // the earlier state is left as it was
  });

  it('a dispatch that spends a one-shot hint clears that hint only', () => {
    const before = busyState();
    const after = evolve(before, dispatched('r2', T0 + 30 * SECOND, { hintId: 'h2' }));
    expect(after.hints).toStrictEqual({ interval: before.hints.interval, oneShot: null });
    expect(after.pause).toBe(before.pause);
  });

  it('a retry keeps the first attempt as the last run and the cascade clock as it was', () => {
    const first = evolve(busyState(), dispatched('r2', T0 + 2 * SECOND));
    const retry = evolve(first, dispatched('r2', T0 + 2 * SECOND, { attempt: 2 }));
    expect(retry.lastRun).toBe(first.lastRun);
    expect(retry.inFlight).toMatchObject({ runId: 'r2', attempt: 2 });
    expect(retry.cascade).toBe(first.cascade);
  });

  it('a response ends its run, counts failures and keeps the rest', () => {
    const inFlight = evolve(busyState(), dispatched('r2', T0 + 2 * SECOND));
    const failed = evolve(inFlight, responded('r2', { ok: false }));
    expect(failed).toStrictEqual({
      ...inFlight,
      inFlight: null,
      consecutiveFailures: inFlight.consecutiveFailures + 1,
      version: inFlight.version + 1,
    });
    expect(evolve(failed, responded('r3')).consecutiveFailures).toBe(0);
  });

  it("a response to another run leaves the run in flight, and a test call's changes nothing", () => {
    const inFlight = evolve(busyState(), dispatched('r2', T0 + 2 * SECOND));
    expect(evolve(inFlight, responded('other')).inFlight).toBe(inFlight.inFlight);
    expect(evolve(inFlight, responded('r2', { test: true }))).toStrictEqual({
      ...inFlight,
      version: inFlight.version + 1,
    });
  });
});
