import { describe, expect, it } from 'vitest';
import { responded } from '../endpoint/history.test-support.js';
import { MAX_CASCADE_DEPTH } from '../graph/inputs.js';
import {
  accepted,
  clear,
  edgeFrom,
  edgeRemoved,
  expectRejected,
  given,
  HOUR,
  interval,
  iso,
  MINUTE,
  oneShot,
  only,
  pause,
  pausedUntil,
  proposal,
  registered,
  resumed,
  SECOND,
  shapes,
  T0,
} from './arbiter.test-support.js';

// Given an endpoint's events (read back from the log, with positions), when a proposal is
// decided, then its one outcome: the hint, pause or clear it carries out, or HintRejected with
// the rule it met. Bounds, anti-thrash and budget are in arbiter-limits.unit.test.ts.

const at = T0 + MINUTE;

describe('ownership', () => {
  it('lets a planner steer the endpoint it analysed', () => {
    const events = given(registered).propose(proposal('p', 'planner', interval(30 * SECOND)), at);
    expect(accepted(events)).toMatchObject({
      hintId: 'p',
      intervalMs: 30_000,
      fromEndpointId: 'e1',
    });
  });

  it('lets a planner steer a downstream of a declared edge from the endpoint it analysed', () => {
    const p = proposal('p', 'planner', interval(30 * SECOND), { fromEndpointId: 'up' });
    expect(accepted(given(registered, edgeFrom('up')).propose(p, at)).hintId).toBe('p');
  });

  it('refuses a planner steering an endpoint no declared edge leads to from its own', () => {
    const p = proposal('p', 'planner', interval(30 * SECOND), { fromEndpointId: 'other' });
    expectRejected(given(registered, edgeFrom('up')).propose(p, at), 'ownership', {
      proposalId: 'p',
      fromEndpointId: 'other',
      detail: 'other may steer itself or a downstream of a declared edge from it; e1 is neither',
    });
    // An edge that was removed no longer grants it.
    const q = proposal('q', 'planner', interval(30 * SECOND), { fromEndpointId: 'up' });
    expectRejected(
      given(registered, edgeFrom('up'), edgeRemoved('up')).propose(q, at),
      'ownership',
    );
  });

  it('refuses a planner proposal that does not name the endpoint it analysed', () => {
    const { fromEndpointId: _, ...anonymous } = proposal('p', 'planner', oneShot());
    expectRejected(given(registered).propose(anonymous, at), 'ownership', {
      detail: 'a planner proposal must name the endpoint it analysed',
    });
  });

  it('takes a cascade proposal only through an incoming edge', () => {
    const state = given(registered, edgeFrom('up'));
    expect(accepted(state.propose(proposal('c1', 'cascade', oneShot()), at)).hintId).toBe('c1');
    const stranger = proposal('c2', 'cascade', oneShot(), { sourceId: 'other.e1' });
    expectRejected(state.propose(stranger, at), 'ownership', {
      detail: 'edge other.e1 does not lead to e1',
    });
  });
});

describe('cascade safety', () => {
  const history = [registered, edgeFrom('up')];

  it('refuses a proposal whose causation chain already holds the target', () => {
    const loop = proposal('c', 'cascade', oneShot(), {
      cascade: { root: 'r1', depth: 2, chain: ['e1', 'up', 'mid'] },
    });
    expectRejected(given(...history).propose(loop, at), 'cascade_safety', {
      detail: 'e1 is already in this causation chain (e1 → up → mid)',
    });
  });

  it('refuses a chain one hop past the depth limit, and takes one that reaches it', () => {
    const chain = (depth: number) => ({ root: 'r1', depth, chain: ['up'] });
    const deepest = proposal('c1', 'cascade', oneShot(), { cascade: chain(MAX_CASCADE_DEPTH - 1) });
    expect(accepted(given(...history).propose(deepest, at)).hintId).toBe('c1');
    const tooDeep = proposal('c2', 'cascade', oneShot(), { cascade: chain(MAX_CASCADE_DEPTH) });
    expectRejected(given(...history).propose(tooDeep, at), 'cascade_safety', {
      detail: `the chain would be ${MAX_CASCADE_DEPTH + 1} deep (limit ${MAX_CASCADE_DEPTH})`,
    });
  });
});

describe('staleness', () => {
  // Positions: registered 1, response 2.
  const withResponse = () => given(registered, responded('r1', { at: T0 }));
  const based = (id: string, basedOnPosition: number) =>
    proposal(id, 'planner', interval(30 * SECOND), { basedOnPosition });

  it('refuses a proposal based on a view older than the latest response', () => {
    expectRejected(withResponse().propose(based('p', 1), at), 'stale', {
      basedOnPosition: 1,
      detail: 'based on position 1; e1 has a newer response (position 2)',
    });
  });

  it('takes a proposal based on exactly the latest response, or later', () => {
    expect(accepted(withResponse().propose(based('p', 2), at)).basedOnPosition).toBe(2);
    expect(accepted(withResponse().propose(based('q', 7), at)).hintId).toBe('q');
  });

  it('ignores test responses, which change nothing', () => {
    const history = given(registered, responded('r1', { at: T0, test: true }));
    expect(accepted(history.propose(based('p', 1), at)).hintId).toBe('p');
  });

  it('refuses a proposal based on a view older than a pause or a resume', () => {
    const e = withResponse();
    const pausedAt = e.record(pausedUntil(T0 + HOUR));
    expect(pausedAt).toBe(3);
    const user = proposal('u', 'user', interval(30 * SECOND), { basedOnPosition: 2 });
    expectRejected(e.propose(user, at), 'stale', {
      detail: 'based on position 2; e1 was paused or resumed since (position 3)',
    });
    const resumedAt = e.record(resumed());
    expectRejected(e.propose(based('p', pausedAt), at), 'stale');
    expect(accepted(e.propose(based('q', resumedAt), at)).hintId).toBe('q');
  });
});

describe('pause wins', () => {
  it('refuses a planner hint while paused, naming the pause that won', () => {
    const until = T0 + HOUR;
    expectRejected(
      given(registered, pausedUntil(until)).propose(proposal('p', 'planner', oneShot()), at),
      'pause_wins',
      {
        slot: 'oneShot',
        winner: { kind: 'pause', until: iso(until) },
        detail: `e1 is paused until ${iso(until)}: pause wins over planner proposals`,
      },
    );
    const forever = given(registered, pausedUntil(null));
    expectRejected(forever.propose(proposal('p', 'planner', clear('interval')), at), 'pause_wins', {
      winner: { kind: 'pause', until: null },
      detail: 'e1 is paused until resumed: pause wins over planner proposals',
    });
  });

  it('refuses a planner pause while paused too (pause wins before noop)', () => {
    const e = given(registered, pausedUntil(T0 + HOUR));
    expectRejected(e.propose(proposal('p', 'planner', pause(T0 + 2 * HOUR)), at), 'pause_wins');
  });

  it('takes user and cascade hints while paused', () => {
    const e = given(registered, edgeFrom('up'), pausedUntil(T0 + HOUR));
    expect(accepted(e.propose(proposal('u', 'user', interval(30 * SECOND)), at)).hintId).toBe('u');
    expect(accepted(e.propose(proposal('c', 'cascade', oneShot()), at)).hintId).toBe('c');
  });

  it('takes planner hints again once the pause has ended', () => {
    const until = T0 + HOUR;
    const e = given(registered, pausedUntil(until));
    expectRejected(e.propose(proposal('p1', 'planner', oneShot()), until - 1), 'pause_wins');
    expect(accepted(e.propose(proposal('p2', 'planner', oneShot()), until)).hintId).toBe('p2');
  });
});

describe('precedence: user > cascade > planner', () => {
  it('refuses a planner replacing a live user hint, naming it; takes it once the hint lapsed', () => {
    const e = given(registered);
    e.propose(proposal('u', 'user', interval(20 * SECOND, 10 * MINUTE)), T0);
    expectRejected(
      e.propose(proposal('p1', 'planner', interval(30 * SECOND)), T0 + 10 * MINUTE - 1),
      'precedence',
      {
        winner: { kind: 'hint', hintId: 'u', source: 'user' },
        detail: 'a live user hint (u) outranks a planner proposal',
      },
    );
    const events = e.propose(proposal('p2', 'planner', interval(30 * SECOND)), T0 + 10 * MINUTE);
    expect(events.map((event) => event.type)).toEqual(['HintExpired', 'HintProposed']);
  });

  it('refuses a planner replacing a live cascade hint, but not in the other slot', () => {
    const e = given(registered, edgeFrom('up'));
    e.propose(proposal('c', 'cascade', interval(20 * SECOND)), T0);
    expectRejected(e.propose(proposal('p1', 'planner', interval(30 * SECOND)), at), 'precedence', {
      winner: { kind: 'hint', hintId: 'c', source: 'cascade' },
    });
    expect(accepted(e.propose(proposal('p2', 'planner', oneShot()), at)).slot).toBe('oneShot');
  });

  it('lets a higher source replace a lower one: the replaced hint is superseded first', () => {
    const e = given(registered, edgeFrom('up'));
    e.propose(proposal('p', 'planner', interval(30 * SECOND)), T0);
    const byCascade = e.propose(proposal('c', 'cascade', interval(20 * SECOND)), at);
    expect(shapes(byCascade)[0]).toEqual({
      type: 'HintSuperseded',
      data: { hintId: 'p', slot: 'interval', byHintId: 'c' },
    });
    const byUser = e.propose(proposal('u', 'user', interval(40 * SECOND)), at);
    expect(shapes(byUser)[0]).toEqual({
      type: 'HintSuperseded',
      data: { hintId: 'c', slot: 'interval', byHintId: 'u' },
    });
    expect(accepted(byUser)).toMatchObject({ hintId: 'u', source: 'user', intervalMs: 40_000 });
  });

  it('refuses a clear when a named slot holds a higher source live hint', () => {
    const e = given(registered);
    e.propose(proposal('u', 'user', interval(20 * SECOND)), T0);
    e.propose(proposal('p', 'planner', oneShot()), T0);
    expectRejected(
      e.propose(proposal('c1', 'planner', clear('oneShot', 'interval')), at),
      'precedence',
      { winner: { kind: 'hint', hintId: 'u', source: 'user' } },
    );
    expect(
      only(e.propose(proposal('c2', 'planner', clear('oneShot')), at), 'HintsCleared'),
    ).toEqual({
      slots: ['oneShot'],
      hintIds: ['p'],
      reason: 'because',
      proposalId: 'c2',
      source: 'planner',
    });
  });
});

describe('noop', () => {
  it('refuses a clear with nothing to clear', () => {
    expectRejected(
      given(registered).propose(proposal('u', 'user', clear('interval')), at),
      'noop',
      {
        kind: 'clear',
        requested: { slots: ['interval'] },
      },
    );
  });

  it('clears a slot named twice once, so that its hint has one outcome', () => {
    const e = given(registered);
    e.propose(proposal('p', 'planner', interval(30 * SECOND)), T0);
    const cleared = only(
      e.propose(proposal('c', 'user', clear('interval', 'interval')), at),
      'HintsCleared',
    );
    expect(cleared).toMatchObject({ slots: ['interval'], hintIds: ['p'] });
  });

  it('refuses a pause when already paused', () => {
    const e = given(registered, pausedUntil(T0 + HOUR));
    expectRejected(e.propose(proposal('u', 'user', pause(T0 + 2 * HOUR)), at), 'noop', {
      detail: 'e1 is already paused',
    });
  });
});

describe('malformed proposals', () => {
  it('records an automated one as rejected (invalid), so it still has its outcome', () => {
    expectRejected(
      given(registered).propose(proposal('p', 'planner', interval(30 * SECOND, 0)), at),
      'invalid',
      {
        detail: expect.stringMatching(/^hint\.ttlMs: ttlMs must be an integer/),
        requested: { intervalMs: 30_000, ttlMs: 0 },
      },
    );
    const late = given(registered, edgeFrom('up')).propose(proposal('c', 'cascade', pause(at)), at);
    expectRejected(late, 'invalid', { detail: expect.stringMatching(/^until: /) });
  });

  it('answers a user with a validation error and records nothing', () => {
    const e = given(registered);
    const decided = e.decide(proposal('u', 'user', oneShot(MINUTE, at + 2 * MINUTE)), at);
    expect(decided).toMatchObject({
      ok: false,
      error: { code: 'validation', field: 'hint.ttlMs' },
    });
    expect(e.head).toBe(1);
  });
});

describe('an agent (a tool client acting with a tenant key)', () => {
  it('may steer any endpoint of its tenant: no declared edge needed', () => {
    const events = given(registered).propose(proposal('a', 'agent', interval(30 * SECOND)), at);
    expect(accepted(events)).toMatchObject({ hintId: 'a', source: 'agent', sourceId: 'k1' });
  });

  it('is held off by a pause, naming the pause that won', () => {
    const until = T0 + HOUR;
    expectRejected(
      given(registered, pausedUntil(until)).propose(proposal('a', 'agent', oneShot()), at),
      'pause_wins',
      {
        source: 'agent',
        winner: { kind: 'pause', until: iso(until) },
        detail: `e1 is paused until ${iso(until)}: pause wins over agent proposals`,
      },
    );
  });

  it('ranks between cascade and planner: user > cascade > agent > planner', () => {
    const e = given(registered, edgeFrom('up'));
    e.propose(proposal('u', 'user', interval(20 * SECOND)), T0);
    expectRejected(e.propose(proposal('a1', 'agent', interval(30 * SECOND)), at), 'precedence', {
      winner: { kind: 'hint', hintId: 'u', source: 'user' },
      detail: 'a live user hint (u) outranks an agent proposal',
    });
    e.propose(proposal('c', 'cascade', oneShot()), T0);
    expectRejected(e.propose(proposal('a2', 'agent', oneShot()), at), 'precedence', {
      winner: { kind: 'hint', hintId: 'c', source: 'cascade' },
    });

    const f = given(registered);
    f.propose(proposal('a3', 'agent', interval(30 * SECOND)), T0);
    expectRejected(f.propose(proposal('p', 'planner', interval(40 * SECOND)), at), 'precedence', {
      winner: { kind: 'hint', hintId: 'a3', source: 'agent' },
    });
    // An agent replaces a planner hint, and a person replaces the agent's.
    f.propose(proposal('p2', 'planner', oneShot()), T0);
    expect(accepted(f.propose(proposal('a4', 'agent', oneShot()), at)).hintId).toBe('a4');
    expect(accepted(f.propose(proposal('u2', 'user', interval(50 * SECOND)), at)).hintId).toBe(
      'u2',
    );
  });
});
