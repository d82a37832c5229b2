import { expect } from 'vitest';
import type { UpstreamResponse } from '../endpoint/commands.js';
import type { EndpointConfigInput } from '../endpoint/config.js';
import { decide } from '../endpoint/decide.js';
import { evolve, fold } from '../endpoint/evolve.js';
import { registered, T0 } from '../endpoint/history.test-support.js';
import type { EndpointState } from '../endpoint/state.js';
import { makeEvent, type DomainEvent } from '../events/event.js';
import type { EventMetadata } from '../events/metadata.js';
import { edgeOf, type DependencySpecInput } from './edge.js';
import type { Holds } from '../governor/holds.js';

export { T0 };
const meta: EventMetadata = { tenantId: 't1', actor: { kind: 'cascade', id: 'test' } };

/** A downstream endpoint `id` registered at T0 with `config`, and edges declared on it. */
export function downstream(
  id: string,
  config: Partial<EndpointConfigInput>,
  edges: readonly DependencySpecInput[],
): Downstream {
  const events: DomainEvent[] = [
    registered(id, config),
    ...edges.map((spec) => makeEvent('DependencyDeclared', edgeOf(id, spec), meta)),
  ];
  return new Downstream(fold(events), events);
}

let position = 100;

/**
 * A downstream endpoint driven the way the cascade processor and the dispatcher drive it: each
 * step decides a command on the current state and folds the events it returned.
 */
export class Downstream {
  constructor(
    public state: EndpointState,
    readonly log: DomainEvent[],
  ) {}

  /** Decides `ObserveUpstream` for `upstream`'s response on the edge from it; returns the events. */
  observe(
    upstream: string,
    at: number,
    response: Partial<UpstreamResponse> = {},
    dispatch?: { leaseMarginMs: number; holds: Holds },
  ): readonly DomainEvent[] {
    const runId = response.runId ?? `run-${upstream}-${at}`;
    const full: UpstreamResponse = {
      endpointId: upstream,
      runId,
      position: ++position,
      respondedAt: at,
      status: 200,
      ok: true,
      headers: {},
      body: null,
      durationMs: 5,
      cascade: { root: runId, depth: 0, chain: [upstream] },
      ...response,
    };
    return this.#apply(
      {
        type: 'ObserveUpstream',
        edgeId: `${upstream}.${this.state.endpointId}`,
        response: full,
        ...(dispatch === undefined ? {} : { dispatch }),
      },
      at,
    );
  }

  /** Decides `Dispatch` at `now`; returns the events (a run, a skip, or nothing). */
  dispatch(now: number): readonly DomainEvent[] {
    return this.#apply({ type: 'Dispatch', leaseMarginMs: 1_000 }, now);
  }

  /** Records a successful response of the run in flight. */
  respond(now: number): readonly DomainEvent[] {
    const runId = this.state.inFlight?.runId;
    if (runId === undefined) throw new Error('no run in flight');
    return this.#apply(
      {
        type: 'RecordResponse',
        response: {
          runId,
          startedAt: new Date(now).toISOString(),
          finishedAt: new Date(now).toISOString(),
          durationMs: 1,
          status: 200,
          ok: true,
          headers: {},
          body: null,
          bodyTruncated: false,
        },
      },
      now,
    );
  }

  types(events: readonly DomainEvent[]): string[] {
    return events.map((e) => e.type);
  }

  #apply(command: Parameters<typeof decide>[0], now: number): readonly DomainEvent[] {
    const result = decide(command, this.state, { now, metadata: meta });
    if (!result.ok) throw new Error(`${result.error.code}: ${result.error.message}`);
    for (const event of result.value) {
      this.state = evolve(this.state, event);
      this.log.push(event);
    }
    // Replaying the stream always gives the state the decisions were taken on.
    expect(fold(this.log)).toEqual(this.state);
    return result.value;
  }
}

/** The event of `type` among `events` (throws when absent). */
export function eventOf<T extends DomainEvent['type']>(
  events: readonly DomainEvent[],
  type: T,
): Extract<DomainEvent, { type: T }> {
  const found = events.find((e) => e.type === type);
  if (found === undefined) throw new Error(`no ${type} in ${events.map((e) => e.type).join(', ')}`);
  return found as Extract<DomainEvent, { type: T }>;
}
