import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { DomainEvent } from '../events/event.js';
import type { HintSlot, HintSource } from '../events/catalogue.js';
import type { EventMetadata } from '../events/metadata.js';
import type { EndpointCommand } from './commands.js';
import { decide } from './decide.js';
import { evolve } from './evolve.js';
import { initialState, type EndpointState } from './state.js';

// The invariant behind "why did my hint do nothing?": every hint proposal ends in exactly one
// recorded outcome — its run (applied), superseded, expired, cleared, or rejected — whatever
// the users, cascades, planners, the dispatcher and the clock do in between.

const T0 = Date.parse('2026-01-01T00:00:00Z');
const SECOND = 1_000;
const MINUTE = 60 * SECOND;
const meta = (kind: 'user' | 'planner' | 'cascade' | 'system'): EventMetadata => ({
  tenantId: 't1',
  actor: { kind, id: kind },
});

const step = fc.record({
  advance: fc.oneof(fc.constant(0), fc.integer({ min: 0, max: 5 * MINUTE })),
  action: fc.oneof(
    {
      weight: 5,
      arbitrary: fc.record({
        kind: fc.constant('propose' as const),
        slot: fc.constantFrom<HintSlot>('interval', 'oneShot'),
        source: fc.constantFrom<HintSource>('user', 'cascade', 'planner'),
        ttlMs: fc.integer({ min: SECOND, max: 10 * MINUTE }),
        inMs: fc.integer({ min: 0, max: 10 * MINUTE }),
      }),
    },
    { weight: 4, arbitrary: fc.constant({ kind: 'dispatch' as const }) },
    { weight: 3, arbitrary: fc.constant({ kind: 'respond' as const }) },
    { weight: 3, arbitrary: fc.constant({ kind: 'expire' as const }) },
    {
      weight: 1,
      arbitrary: fc.record({
        kind: fc.constant('clear' as const),
        slots: fc.subarray<HintSlot>(['interval', 'oneShot'], { minLength: 1 }),
      }),
    },
    { weight: 1, arbitrary: fc.constant({ kind: 'pause' as const }) },
    { weight: 1, arbitrary: fc.constant({ kind: 'resume' as const }) },
    { weight: 1, arbitrary: fc.constant({ kind: 'archive' as const }) },
  ),
});
type Action = (typeof step extends fc.Arbitrary<infer S> ? S : never)['action'];

/** The commands an action stands for at `now` (the expiry processor's, for `expire`). */
function commandsOf(
  action: Action,
  state: EndpointState,
  now: number,
  n: number,
): [EndpointCommand, EventMetadata][] {
  switch (action.kind) {
    case 'propose': {
      const hint =
        action.slot === 'interval'
          ? { slot: 'interval' as const, intervalMs: 30 * SECOND, ttlMs: action.ttlMs }
          : {
              slot: 'oneShot' as const,
              runAt: now + Math.min(action.inMs, action.ttlMs - 1),
              ttlMs: action.ttlMs,
            };
      const command = {
        type: 'ProposeHint' as const,
        hintId: `h${n}`,
        hint,
        source: action.source,
        sourceId: action.source,
        reason: '',
      };
      return [[command, meta(action.source === 'agent' ? 'user' : action.source)]];
    }
    case 'dispatch':
      return [[{ type: 'Dispatch', leaseMarginMs: 5 * SECOND }, meta('system')]];
    case 'respond': {
      const run = state.inFlight;
      if (!run) return [];
      const at = new Date(now).toISOString();
      const response = {
        runId: run.runId,
        startedAt: at,
        finishedAt: at,
        durationMs: 1,
        status: 200,
        ok: true,
        headers: {},
        body: null,
        bodyTruncated: false,
      };
      return [[{ type: 'RecordResponse', response }, meta('system')]];
    }
    case 'expire':
      return (['interval', 'oneShot'] as const).flatMap(
        (slot): [EndpointCommand, EventMetadata][] => {
          const hint = state.hints[slot];
          return hint && hint.expiresAt <= now
            ? [[{ type: 'ExpireHint', slot, hintId: hint.hintId }, meta('system')]]
            : [];
        },
      );
    case 'clear':
      return [[{ type: 'ClearHints', slots: action.slots }, meta('user')]];
    case 'pause':
      return [[{ type: 'Pause', until: null }, meta('user')]];
    case 'resume':
      return [[{ type: 'Resume' }, meta('user')]];
    case 'archive':
      return [[{ type: 'Archive' }, meta('user')]];
  }
}

describe('hint outcomes', () => {
  it('every proposal ends in exactly one recorded outcome: applied, superseded, expired, cleared or rejected', () => {
    fc.assert(
      fc.property(fc.array(step, { maxLength: 60 }), (steps) => {
        const log: DomainEvent[] = [];
        let state = initialState();
        let now = T0;
        const run = (command: EndpointCommand, metadata: EventMetadata) => {
          const decided = decide(command, state, { now, metadata });
          if (!decided.ok) return;
          log.push(...decided.value);
          state = decided.value.reduce(evolve, state);
        };
        run(
          {
            type: 'Register',
            endpointId: 'e1',
            jobId: 'j1',
            tenantId: 't1',
            config: {
              name: 'e1',
              request: { url: 'http://127.0.0.1:9/' },
              baseline: { kind: 'interval', everyMs: MINUTE },
            },
          },
          meta('user'),
        );
        steps.forEach(({ advance, action }, n) => {
          now += advance;
          for (const [command, metadata] of commandsOf(action, state, now, n))
            run(command, metadata);
        });
        // Time passes every TTL; the expiry processor records what lapsed.
        now += 11 * MINUTE;
        for (const [command, metadata] of commandsOf({ kind: 'expire' }, state, now, -1))
          run(command, metadata);

        const outcomes = new Map<string, string[]>();
        const add = (hintId: string, outcome: string) =>
          outcomes.set(hintId, [...(outcomes.get(hintId) ?? []), outcome]);
        for (const event of log) {
          if (event.type === 'HintProposed')
            outcomes.set(event.data.hintId, outcomes.get(event.data.hintId) ?? []);
          if (event.type === 'HintRejected') add(event.data.proposalId, 'rejected');
          if (event.type === 'HintSuperseded') add(event.data.hintId, 'superseded');
          if (event.type === 'HintExpired') add(event.data.hintId, 'expired');
          if (event.type === 'HintsCleared')
            for (const id of event.data.hintIds) add(id, 'cleared');
          if (event.type === 'RunDispatched' && event.data.hintId !== undefined)
            add(event.data.hintId, 'applied');
        }
        const proposed = new Set(
          log.flatMap((e) => (e.type === 'HintProposed' ? [e.data.hintId] : [])),
        );
        for (const [hintId, ends] of outcomes) {
          expect(ends, `hint ${hintId}`).toHaveLength(1);
          // A rejected proposal was never proposed; a proposed one was never rejected.
          expect(proposed.has(hintId), `hint ${hintId}`).toBe(ends[0] !== 'rejected');
        }
      }),
      { numRuns: 500 },
    );
  });
});
