import { expect } from 'vitest';
import { decide } from '../endpoint/decide.js';
import { evolve } from '../endpoint/evolve.js';
import { endpointEvents } from '../endpoint/history.test-support.js';
import { initialState, type EndpointState } from '../endpoint/state.js';
import type { EventData, HintSlot, HintSource } from '../events/catalogue.js';
import { makeEvent, type DomainEvent, type RecordedEvent } from '../events/event.js';
import type { EventMetadata } from '../events/metadata.js';
import type { Result } from '../errors.js';
import { edgeOf } from '../graph/edge.js';
import type { Holds } from '../governor/holds.js';
import { ArbiterPolicy } from './policy.js';
import type { Proposal, ProposalAction } from './proposal.js';

/** Builders for the arbiter's specs: the target is `e1` (job j1), every state a fold of events. */

export const T0 = Date.parse('2026-01-01T00:00:00.000Z');
export const SECOND = 1_000;
export const MINUTE = 60 * SECOND;
export const HOUR = 60 * MINUTE;
export const iso = (ms: number) => new Date(ms).toISOString();

/** An agent acts with a tenant's key: its actor is that key's user. */
export const metaOf = (kind: HintSource | 'system'): EventMetadata => ({
  tenantId: 't1',
  actor: { kind: kind === 'agent' ? 'user' : kind, id: kind },
});

/** Called every minute, bounded to [10 s, 10 min]. */
export const registered = makeEvent(
  'EndpointRegistered',
  {
    endpointId: 'e1',
    jobId: 'j1',
    tenantId: 't1',
    registeredAt: iso(T0),
    config: {
      name: 'orders',
      request: { url: 'http://127.0.0.1:9/orders' },
      baseline: { kind: 'interval', everyMs: MINUTE },
      minIntervalMs: 10 * SECOND,
      maxIntervalMs: 10 * MINUTE,
    },
  },
  metaOf('user'),
);

/** The edge `upstream → e1`, as its declaration lands on e1's stream (id `<upstream>.e1`). */
export const edgeFrom = (upstream: string): DomainEvent =>
  makeEvent('DependencyDeclared', edgeOf('e1', { upstream }), metaOf('user'));
export const edgeRemoved = (upstream: string): DomainEvent =>
  makeEvent(
    'DependencyRemoved',
    { edgeId: `${upstream}.e1`, upstreamEndpointId: upstream, downstreamEndpointId: 'e1' },
    metaOf('user'),
  );
export const pausedUntil = (until: number | null): DomainEvent =>
  makeEvent('Paused', { until: until === null ? null : iso(until) }, metaOf('user'));
export const resumed = (): DomainEvent => makeEvent('Resumed', {}, metaOf('user'));

/** Small limits, so that a few proposals reach them. */
export const policy = ArbiterPolicy.parse({
  antiThrash: { windowMs: 30 * MINUTE, maxChanges: 2, cooldownMs: 10 * MINUTE },
  budget: { windowMs: HOUR, perEndpoint: 30, perJob: 100 },
  maxPlannerPauseMs: HOUR,
});

export const interval = (intervalMs: number, ttlMs = 10 * MINUTE): ProposalAction => ({
  kind: 'interval',
  intervalMs,
  ttlMs,
});
export const oneShot = (ttlMs = 10 * MINUTE, runAt?: number): ProposalAction => ({
  kind: 'oneShot',
  ttlMs,
  ...(runAt === undefined ? {} : { runAt }),
});
export const pause = (until: number): ProposalAction => ({ kind: 'pause', until });
export const clear = (...slots: HintSlot[]): ProposalAction => ({ kind: 'clear', slots });

/**
 * A proposal with each source's usual identity: a user `u1`, an agent with the key `k1`, the
 * cascade of the edge `up.e1`, a planner session that analysed e1 itself.
 */
export function proposal(
  id: string,
  source: HintSource,
  action: ProposalAction,
  options: Partial<Omit<Proposal, 'id' | 'source' | 'action'>> = {},
): Proposal {
  const identity =
    source === 'user'
      ? { sourceId: 'u1' }
      : source === 'agent'
        ? { sourceId: 'k1' }
        : source === 'cascade'
          ? { sourceId: 'up.e1' }
          : { sourceId: 'session-1', fromEndpointId: 'e1' };
  return { id, source, action, reason: 'because', ...identity, ...options };
}

export interface ProposeOptions {
  readonly jobExtraRuns?: number;
  /** Default: the small {@link policy}. */
  readonly policy?: ArbiterPolicy;
  /** The job's state as the proposer read it. */
  readonly holds?: Holds;
}

/**
 * An endpoint's stream as the arbiter's callers read it back: events with positions 1..n.
 * Given some events, when a proposal is decided, its events are appended (with the next
 * positions) and returned.
 */
export class Endpoint {
  readonly log: RecordedEvent[] = [];
  #state = initialState();

  constructor(events: readonly DomainEvent[]) {
    this.record(...events);
  }

  get state(): EndpointState {
    return this.#state;
  }

  /** The position of the latest event. */
  get head(): number {
    return this.log.at(-1)?.position ?? 0;
  }

  /** Appends events (as another writer would) and returns the position of the last. */
  record(...events: readonly DomainEvent[]): number {
    const placed = endpointEvents('e1', events, {
      firstVersion: this.log.length + 1,
      firstPosition: this.head + 1,
    });
    this.log.push(...placed);
    this.#state = placed.reduce(evolve, this.#state);
    return this.head;
  }

  /** Decides `p` at `now`; a refusal is returned as it is (nothing recorded). */
  decide(p: Proposal, now: number, options: ProposeOptions = {}): Result<readonly DomainEvent[]> {
    const decided = decide(
      {
        type: 'Propose',
        proposal: p,
        policy: options.policy ?? policy,
        ...(options.jobExtraRuns === undefined ? {} : { jobExtraRuns: options.jobExtraRuns }),
        ...(options.holds === undefined ? {} : { holds: options.holds }),
      },
      this.state,
      { now, metadata: metaOf(p.source) },
    );
    if (decided.ok) this.record(...decided.value);
    return decided;
  }

  /** Decides `p` at `now` and returns the events recorded (throws on a refusal). */
  propose(p: Proposal, now: number, options: ProposeOptions = {}): readonly DomainEvent[] {
    const decided = this.decide(p, now, options);
    if (!decided.ok) throw new Error(`${decided.error.code}: ${decided.error.message}`);
    return decided.value;
  }
}

export const given = (...events: readonly DomainEvent[]) => new Endpoint(events);

/** The events' types and data, to compare with `toEqual`. */
export const shapes = (events: readonly DomainEvent[]) =>
  events.map(({ type, data }) => ({ type, data }));

/** The one event `events` holds, of type `type`. */
export function only<T extends DomainEvent['type']>(
  events: readonly DomainEvent[],
  type: T,
): EventData<T> {
  expect(events.map((e) => e.type)).toEqual([type]);
  return events[0]?.data as EventData<T>;
}

/** The refusal recorded for a proposal: its rule (and, with `data`, more of the event). */
export function expectRejected(
  events: readonly DomainEvent[],
  rule: string,
  data: Record<string, unknown> = {},
) {
  const rejected = only(events, 'HintRejected');
  expect(rejected).toMatchObject({ rule, ...data });
  return rejected;
}

type Hint = EventData<'HintProposed'>;
/** A hint of either slot, the interval slot's fields optional. */
type AnyHint = Hint & Partial<Omit<Extract<Hint, { slot: 'interval' }>, 'slot'>>;

/** The accepted hint of a proposal (after the outcome of the hint it replaced, if any). */
export function accepted(events: readonly DomainEvent[]): AnyHint {
  const last = events.at(-1);
  expect(last?.type).toBe('HintProposed');
  return last?.data as AnyHint;
}
