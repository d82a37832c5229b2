import {
  ArbiterPolicy,
  ConcurrencyError,
  edgeOf,
  endpointDecider,
  endpointStream,
  evolve,
  initialState,
  makeEvent,
  type AppendOutcome,
  type AppendRequest,
  type DomainEvent,
  type EventMetadata,
  type HintSource,
  type Proposal,
  type ProposalAction,
  type RecordedEvent,
} from '@orrery/domain';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { handleCommand } from './command-handler.js';
import { InMemoryEventStore } from './memory-event-store.js';

// Users, cascades and planners propose changes to one endpoint at the same time. Their appends
// conflict on the stream's version; the command handler re-reads and re-decides the loser.
// Whatever the interleaving, no proposal is dropped: each has its one outcome in the stream,
// and the stream is what deciding them one after the other, in the order they landed, gives.

const T0 = Date.parse('2026-01-01T00:00:00.000Z');
const SECOND = 1_000;
const MINUTE = 60 * SECOND;
const NOW = T0 + MINUTE;
const stream = endpointStream('t1', 'e1');
/** An agent acts with a tenant's key: its actor is that key's user. */
const meta = (kind: HintSource): EventMetadata => ({
  tenantId: 't1',
  actor: { kind: kind === 'agent' ? 'user' : kind, id: kind },
});
const policy = ArbiterPolicy.parse({
  antiThrash: { windowMs: 10 * MINUTE, maxChanges: 1, cooldownMs: 5 * MINUTE },
  budget: { windowMs: 10 * MINUTE, perEndpoint: 20, perJob: 1000 },
});

/** e1 (every minute, bounded to [10 s, 10 min]), an edge `up → e1`, a response: positions 1-3. */
const history: readonly DomainEvent[] = [
  makeEvent(
    'EndpointRegistered',
    {
      endpointId: 'e1',
      jobId: 'j1',
      tenantId: 't1',
      registeredAt: new Date(T0).toISOString(),
      config: {
        name: 'e1',
        request: { url: 'http://127.0.0.1:9/' },
        baseline: { kind: 'interval', everyMs: MINUTE },
        minIntervalMs: 10 * SECOND,
        maxIntervalMs: 10 * MINUTE,
      },
    },
    meta('user'),
  ),
  makeEvent('DependencyDeclared', edgeOf('e1', { upstream: 'up' }), meta('user')),
  makeEvent(
    'ResponseRecorded',
    {
      runId: 'r0',
      startedAt: new Date(T0).toISOString(),
      finishedAt: new Date(T0).toISOString(),
      durationMs: 1,
      status: 200,
      ok: true,
      headers: {},
      body: null,
      bodyTruncated: false,
    },
    meta('user'),
  ),
];

const proposalArb = fc.record({
  source: fc.constantFrom<HintSource>('user', 'cascade', 'agent', 'planner', 'planner'),
  kind: fc.constantFrom('interval', 'interval', 'oneShot', 'pause', 'clear'),
  intervalMs: fc.constantFrom(5 * SECOND, 20 * SECOND, 30 * SECOND, 2 * MINUTE, 20 * MINUTE),
  /** Based on the view before any of the concurrent proposals (stale once a pause lands). */
  based: fc.boolean(),
  /** A zero TTL, a pause ending now, no slot: a validation error for a user, else invalid. */
  malformed: fc.oneof({ weight: 8, arbitrary: fc.constant(false) }, fc.constant(true)),
});
type ProposalSpec = typeof proposalArb extends fc.Arbitrary<infer T> ? T : never;

function proposalOf(spec: ProposalSpec, n: number): Proposal {
  const ttlMs = spec.malformed ? 0 : 5 * MINUTE;
  const action: ProposalAction =
    spec.kind === 'interval'
      ? { kind: 'interval', intervalMs: spec.intervalMs, ttlMs }
      : spec.kind === 'oneShot'
        ? { kind: 'oneShot', ttlMs }
        : spec.kind === 'pause'
          ? { kind: 'pause', until: spec.malformed ? NOW : NOW + 10 * MINUTE }
          : { kind: 'clear', slots: spec.malformed ? [] : ['interval', 'oneShot'] };
  return {
    id: `p${n}`,
    source: spec.source,
    sourceId: { user: 'u1', cascade: 'up.e1', agent: 'k1', planner: 'session' }[spec.source],
    ...(spec.source === 'planner' ? { fromEndpointId: 'e1' } : {}),
    reason: 'concurrent',
    action,
    ...(spec.based ? { basedOnPosition: history.length } : {}),
  };
}

/** The in-memory store, its reads and appends let through in the order the scheduler picks. */
class InterleavedStore extends InMemoryEventStore {
  conflicts = 0;
  #scheduler: fc.Scheduler | null = null;

  interleave(scheduler: fc.Scheduler | null) {
    this.#scheduler = scheduler;
  }

  override async readStream(streamId: string, options?: { fromVersion?: number }) {
    await this.#scheduler?.schedule(Promise.resolve(), `read ${options?.fromVersion ?? 1}`);
    return super.readStream(streamId, options);
  }

  override async appendEach(requests: readonly AppendRequest[]): Promise<AppendOutcome[]> {
    await this.#scheduler?.schedule(Promise.resolve(), 'append');
    const outcomes = [...(await super.appendEach(requests))];
    this.conflicts += outcomes.filter((o) => o instanceof ConcurrencyError).length;
    return outcomes;
  }
}

const outcomeOf = (event: RecordedEvent): string | undefined =>
  event.type === 'HintProposed'
    ? event.data.hintId
    : event.type === 'Paused' || event.type === 'HintsCleared' || event.type === 'HintRejected'
      ? event.data.proposalId
      : undefined;

/** Decides the proposals one after the other on `start`; each event at the next position. */
function sequentially(start: readonly RecordedEvent[], proposals: readonly Proposal[]) {
  let state = start.reduce(evolve, initialState());
  let position = start.at(-1)?.position ?? 0;
  const events: { type: string; data: unknown; position: number }[] = [];
  for (const proposal of proposals) {
    const decided = endpointDecider.decide({ type: 'Propose', proposal, policy }, state, {
      now: NOW,
      metadata: meta(proposal.source),
    });
    if (!decided.ok) throw new Error(`${proposal.id}: ${decided.error.message}`);
    for (const event of decided.value) {
      const placed = { ...event, position: ++position };
      state = evolve(state, placed);
      events.push({ type: placed.type, data: placed.data, position });
    }
  }
  return events;
}

describe('concurrent proposals on one endpoint', () => {
  it('each lands exactly once, as if decided one after the other in the order they landed', async () => {
    let conflicts = 0;
    await fc.assert(
      fc.asyncProperty(
        fc.scheduler(),
        fc.array(proposalArb, { minLength: 2, maxLength: 5 }),
        async (scheduler, specs) => {
          const store = new InterleavedStore({ now: () => new Date(NOW) });
          await store.append(stream, history, { expectedVersion: 0 });
          const start = await store.readStream(stream);
          const proposals = specs.map(proposalOf);

          // Given the endpoint, when every proposer proposes at once (default attempts: 5)...
          store.interleave(scheduler);
          const running = Promise.all(
            proposals.map((proposal) =>
              handleCommand(
                store,
                endpointDecider,
                stream,
                { type: 'Propose', proposal, policy },
                { now: () => NOW, metadata: meta(proposal.source) },
              ),
            ),
          );
          const results = await scheduler.waitFor(running);
          store.interleave(null);
          conflicts += store.conflicts;

          // ...then each has exactly one outcome, except a user's malformed one (nothing)...
          const landed = (await store.readStream(stream)).slice(history.length);
          proposals.forEach((proposal, i) => {
            const outcomes = landed.filter((e) => outcomeOf(e) === proposal.id);
            const refused = specs[i]?.malformed === true && proposal.source === 'user';
            expect(results[i]).toMatchObject(
              refused ? { ok: false, error: { code: 'validation' } } : { ok: true },
            );
            expect(outcomes, proposal.id).toHaveLength(refused ? 0 : 1);
          });
          // ...and the stream is what deciding them in the order they landed gives.
          const order = landed.flatMap((e) => proposals.filter((p) => p.id === outcomeOf(e)));
          expect(landed.map(({ type, data, position }) => ({ type, data, position }))).toEqual(
            sequentially(start, order),
          );
        },
      ),
      { numRuns: 300 },
    );
    // The interleavings did make appends conflict (and the losers decide again).
    expect(conflicts).toBeGreaterThan(0);
  });
});
