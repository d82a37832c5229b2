import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { EndpointConfig, type EndpointConfigInput } from '../endpoint/config.js';
import type { EndpointCommand } from '../endpoint/commands.js';
import { decide } from '../endpoint/decide.js';
import { evolve } from '../endpoint/evolve.js';
import { initialState, type EndpointState } from '../endpoint/state.js';
import type { EventMetadata } from '../events/metadata.js';
import { isRepresentableInstant, MAX_DURATION_MS, MAX_HORIZON_MS } from '../limits.js';
import type { Millis } from '../time.js';
import { DAY, HOUR, at } from './arbitraries.test-support.js';
import { nextRun } from './governor.js';

// The property behind "no accepted value can stop the scheduler": whatever configuration the
// decider accepts, and whatever history of accepted commands follows, the governor's next time
// is an instant the log and the read models can hold — never a NaN, never past year 9999.

const meta: EventMetadata = { tenantId: 't1', actor: { kind: 'user', id: 'u1' } };

/** Durations drawn to hit the bounds themselves as often as the middle. */
const duration = (min: number, max: number) =>
  fc.oneof(fc.constant(min), fc.constant(max), fc.integer({ min, max }));

const CRONS = ['* * * * *', '0 9 * * MON-FRI', '0 0 29 2 *', '59 23 31 12 *', '0 0 0 1 1 * 2099'];

/** Any configuration the schema accepts, with the extreme values included. */
const acceptedConfig: fc.Arbitrary<EndpointConfigInput> = fc
  .record({
    baseline: fc.oneof(
      fc.record({ kind: fc.constant('interval' as const), everyMs: duration(100, 30 * DAY) }),
      fc.record({
        kind: fc.constant('cron' as const),
        expression: fc.constantFrom(...CRONS),
        timezone: fc.constantFrom('UTC', 'Pacific/Kiritimati', 'Etc/GMT+12'),
      }),
      fc.constant({ kind: 'none' as const }),
    ),
    start: fc.oneof(
      fc.constant(undefined),
      fc.constant({ kind: 'next_slot' as const }),
      fc.constant({ kind: 'immediately' as const }),
      fc
        .integer({ min: at('2020-01-01T00:00:00Z'), max: at('2119-01-01T00:00:00Z') })
        .map((ms) => ({ kind: 'at' as const, at: new Date(ms).toISOString() })),
    ),
    minIntervalMs: duration(0, MAX_DURATION_MS),
    extraMaxMs: fc.option(duration(0, MAX_DURATION_MS), { nil: undefined }),
    jitterMs: duration(0, DAY),
    factor: fc.oneof(fc.constant(1), fc.constant(10), fc.double({ min: 1, max: 10, noNaN: true })),
    backoffMaxMs: duration(1, MAX_DURATION_MS),
  })
  .map(({ extraMaxMs, factor, backoffMaxMs, minIntervalMs, start, ...rest }) => ({
    name: 'range',
    ...(start === undefined ? {} : { start }),
    request: { url: 'http://127.0.0.1:9/x' },
    minIntervalMs,
    ...(extraMaxMs === undefined
      ? {}
      : { maxIntervalMs: Math.min(MAX_DURATION_MS, Math.max(1, minIntervalMs + extraMaxMs)) }),
    backoff: { factor, maxMs: backoffMaxMs },
    ...rest,
  }));

/** One step of a history: how far the clock moves, then a command (kept only if accepted). */
const step = fc.record({
  advance: fc.oneof(
    fc.constant(0),
    duration(0, MAX_DURATION_MS),
    fc.integer({ min: 0, max: HOUR }),
  ),
  command: fc.oneof(
    fc.constant({ kind: 'run' as const }),
    fc.record({ kind: fc.constant('respond' as const), ok: fc.boolean() }),
    fc.record({ kind: fc.constant('reconfigure' as const), config: acceptedConfig }),
    fc.record({
      kind: fc.constant('pause' as const),
      ahead: fc.option(duration(1, MAX_HORIZON_MS), { nil: null }),
    }),
    fc.constant({ kind: 'resume' as const }),
    fc.record({
      kind: fc.constant('interval' as const),
      intervalMs: duration(1, MAX_DURATION_MS),
      ttlMs: duration(1, MAX_DURATION_MS),
    }),
    fc.record({
      kind: fc.constant('oneShot' as const),
      inMs: duration(0, MAX_DURATION_MS),
      ttlMs: duration(1, MAX_DURATION_MS),
    }),
    fc.constant({ kind: 'expire' as const }),
  ),
});
type Step = typeof step extends fc.Arbitrary<infer S> ? S : never;

/** Applies one step through the real decider; refused commands leave the state as it was. */
function apply(state: EndpointState, now: Millis, { command: c }: Step): EndpointState {
  let command: EndpointCommand;
  switch (c.kind) {
    case 'run': {
      const d = nextRun(state, now);
      if (d.at === null || d.at > now || state.inFlight) return state;
      command = {
        type: 'RecordDispatch',
        runId: `r${now}`,
        scheduledFor: d.slot,
        leaseMs: 30_000,
        reason: d.reason,
      };
      break;
    }
    case 'respond': {
      const run = state.inFlight;
      if (!run) return state;
      const response = {
        runId: run.runId,
        startedAt: new Date(now).toISOString(),
        finishedAt: new Date(now).toISOString(),
        durationMs: 1,
        status: c.ok ? 200 : 500,
        ok: c.ok,
        headers: {},
        body: null,
        bodyTruncated: false,
      };
      command = { type: 'RecordResponse', response };
      break;
    }
    case 'reconfigure':
      command = { type: 'Reconfigure', config: c.config };
      break;
    case 'pause':
      command = { type: 'Pause', until: c.ahead === null ? null : now + c.ahead };
      break;
    case 'resume':
      command = { type: 'Resume' };
      break;
    case 'interval':
      command = {
        type: 'ProposeHint',
        hintId: `i${now}`,
        source: 'user',
        sourceId: 'u',
        reason: '',
        hint: { slot: 'interval', intervalMs: c.intervalMs, ttlMs: c.ttlMs },
      };
      break;
    case 'oneShot':
      command = {
        type: 'ProposeHint',
        hintId: `o${now}`,
        source: 'user',
        sourceId: 'u',
        reason: '',
        hint: { slot: 'oneShot', runAt: now + c.inMs, ttlMs: c.ttlMs },
      };
      break;
    case 'expire':
      command = { type: 'ExpireHint', slot: 'interval' };
      break;
  }
  const decision = decide(command, state, { now, metadata: meta });
  return decision.ok ? decision.value.reduce(evolve, state) : state;
}

describe('governor range', () => {
  it('every configuration the schema accepts parses (the arbitrary covers only accepted ones)', () => {
    fc.assert(
      fc.property(acceptedConfig, (config) => {
        expect(EndpointConfig.safeParse(config).success).toBe(true);
      }),
      { numRuns: 200 },
    );
  });

  it('for every accepted configuration and history, the next run is a representable instant', () => {
    fc.assert(
      fc.property(
        acceptedConfig,
        fc.integer({ min: at('2020-01-01T00:00:00Z'), max: at('2200-01-01T00:00:00Z') }),
        fc.array(step, { maxLength: 25 }),
        fc.integer({ min: 0, max: MAX_DURATION_MS }),
        (config, start, steps, later) => {
          const registered = decide(
            { type: 'Register', endpointId: 'e1', jobId: 'j1', tenantId: 't1', config },
            initialState(),
            { now: start, metadata: meta },
          );
          if (!registered.ok) throw new Error(registered.error.message);
          let state = registered.value.reduce(evolve, initialState());
          let now = start;
          const check = (when: Millis) => {
            const d = nextRun(state, when);
            expect(d.reason).not.toBe('out_of_range');
            if (d.at !== null) {
              expect(isRepresentableInstant(d.at)).toBe(true);
              expect(isRepresentableInstant(d.slot)).toBe(true);
            }
          };
          for (const s of steps) {
            now += s.advance;
            state = apply(state, now, s);
            check(now);
          }
          check(now + later);
        },
      ),
      { numRuns: 400 },
    );
  });

  it('a state holding a value beyond the bounds (written before they existed) never runs, and says why', () => {
    const registered = decide(
      {
        type: 'Register',
        endpointId: 'e1',
        jobId: 'j1',
        tenantId: 't1',
        config: {
          name: 'x',
          request: { url: 'http://127.0.0.1:9/' },
          baseline: { kind: 'interval', everyMs: 1_000 },
        },
      },
      initialState(),
      { now: at('2026-01-01T00:00:00Z'), metadata: meta },
    );
    if (!registered.ok) throw new Error(registered.error.message);
    const base = registered.value.reduce(evolve, initialState());
    const poisoned: EndpointState = {
      ...base,
      config: base.config && { ...base.config, minIntervalMs: Number.MAX_SAFE_INTEGER },
      lastRun: { runId: 'r1', scheduledFor: base.registeredAt, dispatchedAt: base.registeredAt },
    };
    const d = nextRun(poisoned, base.registeredAt + 1);
    expect(d).toMatchObject({ at: null, slot: null, reason: 'out_of_range' });
    expect(d.inputs.clamp?.bound).toBe('min');
  });
});
