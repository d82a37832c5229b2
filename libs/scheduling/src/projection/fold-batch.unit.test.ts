import {
  endpointStream,
  fold,
  fromIso,
  makeEvent,
  type DomainEvent,
  type EndpointState,
  type RecordedEvent,
} from '@orrery/domain';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  SECOND,
  T0,
  dispatched,
  endpointEvents,
  intervalHinted,
  iso,
  oneShotHinted,
  pausedUntil,
  recorded,
  registered,
  responded,
  userMeta,
} from '@orrery/domain/testing';
import { foldBatch, type FoldedEndpoint } from './fold-batch.js';

const E1 = endpointStream('t1', 'e1');
const E2 = endpointStream('t1', 'e2');

const e1History: DomainEvent[] = [
  registered('e1'),
  dispatched('run-a', T0, { dispatchedAt: T0 + 7, leaseMs: 20 * SECOND }),
  responded('run-a', { at: T0 + 10 }),
  intervalHinted('h1', 500, T0 + 60 * SECOND),
  dispatched('run-b', T0 + 500, { reason: 'interval_hint' }),
];
const e2History: DomainEvent[] = [
  registered('e2', { baseline: { kind: 'interval', everyMs: 5 * SECOND } }),
  dispatched('run-c', T0),
  responded('run-c', {
    ok: false,
    status: null,
    error: { kind: 'timeout', message: 'no answer in 10000 ms' },
  }),
];

/** e1 and e2 interleaved, with positions in log order. */
function interleaved(): RecordedEvent[] {
  const a = endpointEvents('e1', e1History);
  const b = endpointEvents('e2', e2History);
  const log: RecordedEvent[] = [];
  for (let i = 0; i < Math.max(a.length, b.length); i++) {
    for (const event of [a[i], b[i]]) if (event) log.push(event);
  }
  return log.map((event, i) => ({ ...event, position: 100 + i }));
}

describe('foldBatch', () => {
  it('gives each endpoint the state a fold of its own stream gives', () => {
    const log = interleaved();
    const batch = foldBatch(new Map(), log);

    // Folded as read back from the log: the arbiter's memory keeps positions.
    const own = (streamId: string) => fold(log.filter((e) => e.streamId === streamId));
    expect(batch.endpoints.get(E1)?.state).toEqual(own(E1));
    expect(batch.endpoints.get(E2)?.state).toEqual(own(E2));
    expect([...batch.endpoints.keys()].sort()).toEqual([E1, E2]);
  });

  it("stamps each endpoint with its last event's position and recorded time (the projection's now)", () => {
    const log = interleaved();
    const lastOfE1 = log.filter((e) => e.streamId === E1).at(-1);

    const batch = foldBatch(new Map(), log);

    expect(lastOfE1).toBeDefined();
    expect(batch.endpoints.get(E1)).toMatchObject({
      position: lastOfE1?.position,
      asOf: fromIso(lastOfE1?.recordedAt ?? ''),
    });
  });

  it('continues from the loaded state', () => {
    const loaded = new Map([[E1, fold(e1History.slice(0, 3))]]);
    const rest = endpointEvents('e1', e1History.slice(3), { firstVersion: 4 });

    const batch = foldBatch(loaded, rest);

    expect(batch.endpoints.get(E1)?.state).toEqual(fold(e1History));
  });

  it('ignores events of streams that are not endpoints', () => {
    const noise = recorded('job-j1', [pausedUntil(null), pausedUntil(null)], {
      firstVersion: 7,
      firstPosition: 1,
    });
    const tenant = recorded('tenant-t1', [registered('e9')], { firstPosition: 3 });
    const e1 = endpointEvents('e1', e1History, { firstPosition: 10 });
    const log = [...noise, ...tenant, ...e1];

    const batch = foldBatch(new Map(), log);

    expect([...batch.endpoints.keys()]).toEqual([E1]);
    expect(batch.endpoints.get(E1)?.state).toEqual(fold(e1));
  });

  it('skips versions already folded, so a redelivered batch changes nothing and counts no run twice', () => {
    const all = endpointEvents('e1', e1History);
    const loaded = new Map([[E1, fold(e1History.slice(0, 3))]]);

    // Versions 2..5: 2 and 3 are already in the loaded state.
    const batch = foldBatch(loaded, all.slice(1));

    expect(batch.endpoints.get(E1)?.state).toEqual(fold(e1History));
    expect(batch.dispatched.map((d) => d.runId)).toEqual(['run-b']);
    expect(batch.recorded).toEqual([]);

    const again = foldBatch(new Map([[E1, fold(e1History)]]), all);
    expect(again.endpoints.size).toBe(0);
    expect(again.dispatched).toEqual([]);
  });

  it('throws on a version gap, naming the stream', () => {
    const loaded = new Map([[E1, fold(e1History.slice(0, 1))]]);
    const skipping = endpointEvents('e1', e1History.slice(2), { firstVersion: 3 });

    expect(() => foldBatch(loaded, skipping)).toThrow(/endpoint-t1\.e1.*version 3 follows 1/);
  });

  it('throws on a gap inside the batch, and for a stream it has no state of', () => {
    const events = endpointEvents('e1', e1History);
    const withHole = [...events.slice(0, 2), ...events.slice(3)];

    expect(() => foldBatch(new Map(), withHole)).toThrow(/endpoint-t1\.e1.*version 4 follows 2/);
    expect(() => foldBatch(new Map(), events.slice(1))).toThrow(/endpoint-t1\.e1/);
  });

  it('collects the runs dispatched, in log order', () => {
    const batch = foldBatch(new Map(), interleaved());

    expect(batch.dispatched).toEqual([
      {
        runId: 'run-a',
        streamId: E1,
        endpointId: 'e1',
        scheduledFor: T0,
        dispatchedAt: T0 + 7,
        attempt: 1,
        reason: 'baseline_interval',
        position: 102,
      },
      expect.objectContaining({ runId: 'run-c', endpointId: 'e2', position: 103 }),
      expect.objectContaining({
        runId: 'run-b',
        endpointId: 'e1',
        scheduledFor: T0 + 500,
        reason: 'interval_hint',
      }),
    ]);
  });

  it('collects the responses recorded, with errors spelled out, outcomes and test runs flagged', () => {
    const events = endpointEvents('e1', [
      registered('e1'),
      dispatched('run-a', T0),
      responded('run-t', { test: true, at: T0 + 40 }),
      responded('run-a', { at: T0 + 50 }),
    ]);
    const failing = endpointEvents('e2', e2History, { firstPosition: 10 });

    const batch = foldBatch(new Map(), [...events, ...failing]);

    expect(batch.recorded).toEqual([
      {
        runId: 'run-t',
        streamId: E1,
        endpointId: 'e1',
        ok: true,
        test: true,
        startedAt: T0 + 40,
        finishedAt: T0 + 65,
        durationMs: 25,
        status: 200,
        error: null,
        outcome: 'succeeded',
        position: 3,
      },
      expect.objectContaining({ runId: 'run-a', test: false, ok: true }),
      expect.objectContaining({
        runId: 'run-c',
        endpointId: 'e2',
        ok: false,
        status: null,
        error: 'timeout: no answer in 10000 ms',
        outcome: 'timeout',
      }),
    ]);
    // The test run left the real run in flight; the real response cleared it.
    expect(batch.endpoints.get(E1)?.state.inFlight).toBeNull();
  });
});

describe('foldBatch, refused proposals', () => {
  const rejected = makeEvent(
    'HintRejected',
    {
      proposalId: 'p1',
      kind: 'oneShot',
      slot: 'oneShot',
      source: 'planner',
      sourceId: 's1',
      fromEndpointId: 'e1',
      rule: 'precedence',
      detail: 'a live user hint (h-user) outranks a planner proposal',
      winner: { kind: 'hint', hintId: 'h-user', source: 'user' },
      requested: { runAt: iso(T0 + 5 * SECOND) },
    },
    { tenantId: 't1', actor: { kind: 'planner', id: 'p' } },
  );

  it('collects each HintRejected with the state it met: just before it, not after', () => {
    const log = endpointEvents('e1', [
      registered('e1'),
      oneShotHinted('h-user', T0 + 30 * SECOND, T0 + 60 * SECOND),
      pausedUntil(T0 + 90 * SECOND),
      rejected,
    ]);

    const batch = foldBatch(new Map(), log);

    expect(batch.conflicts).toEqual([
      {
        tenantId: 't1',
        endpointId: 'e1',
        jobId: 'j1',
        position: 4,
        recordedAt: log[3]?.recordedAt,
        data: rejected.data,
        stateMet: {
          version: 3,
          status: 'active',
          pause: { until: iso(T0 + 90 * SECOND), reason: '' },
          hints: {
            interval: null,
            oneShot: {
              hintId: 'h-user',
              source: 'user',
              sourceId: 'u1',
              runAt: iso(T0 + 30 * SECOND),
              expiresAt: iso(T0 + 60 * SECOND),
            },
          },
          consecutiveFailures: 0,
        },
      },
    ]);
  });

  it('collects a redelivered refusal no second time', () => {
    const log = endpointEvents('e1', [registered('e1'), rejected]);
    const loaded = new Map([[E1, fold(log)]]);
    expect(foldBatch(loaded, log).conflicts).toEqual([]);
  });
});

describe('foldBatch, batch by batch', () => {
  const endpointIds = ['e1', 'e2', 'e3'] as const;
  const kinds = [
    'dispatch',
    'ok',
    'fail',
    'test',
    'intervalHint',
    'oneShotHint',
    'pause',
    'resume',
    'clear',
    'noise',
  ] as const;
  type Step = { endpoint: number; kind: (typeof kinds)[number]; dt: number };

  /** A log of registrations then arbitrary steps on three endpoints and a job stream. */
  function logOf(steps: readonly Step[]): RecordedEvent[] {
    const versions = new Map<string, number>();
    const log: RecordedEvent[] = [];
    let now = T0;
    let run = 0;
    const push = (streamId: string, event: DomainEvent) => {
      const streamVersion = (versions.get(streamId) ?? 0) + 1;
      versions.set(streamId, streamVersion);
      log.push({
        ...event,
        streamId,
        streamVersion,
        position: log.length + 1,
        recordedAt: iso(now),
      });
    };
    for (const id of endpointIds) push(endpointStream('t1', id), registered(id, {}, now));
    for (const { endpoint, kind, dt } of steps) {
      now += dt;
      const id = endpointIds[endpoint] ?? 'e1';
      const lastRun = `run-${id}-${run}`;
      const event = ((): DomainEvent => {
        switch (kind) {
          case 'dispatch':
            run += 1;
            return dispatched(`run-${id}-${run}`, now);
          case 'ok':
          case 'fail':
            return responded(lastRun, { at: now, ok: kind === 'ok' });
          case 'test':
            return responded(`test-${now}`, { at: now, test: true });
          case 'intervalHint':
            return intervalHinted(`h-${now}`, 300, now + 5 * SECOND);
          case 'oneShotHint':
            return oneShotHinted(`h-${now}`, now + SECOND, now + 5 * SECOND);
          case 'pause':
            return pausedUntil(now + 3 * SECOND);
          case 'resume':
            return makeEvent('Resumed', {}, userMeta);
          case 'clear':
          case 'noise':
            return makeEvent('HintsCleared', { slots: ['interval', 'oneShot'] }, userMeta);
        }
      })();
      push(kind === 'noise' ? 'job-j1' : endpointStream('t1', id), event);
    }
    return log;
  }

  const steps = fc.array(
    fc.record({
      endpoint: fc.integer({ min: 0, max: endpointIds.length - 1 }),
      kind: fc.constantFrom(...kinds),
      dt: fc.integer({ min: 0, max: 4 * SECOND }),
    }),
    { maxLength: 40 },
  );
  /** Where each batch ends, and how many events of the previous batch it redelivers. */
  const batching = fc.record({
    cuts: fc.uniqueArray(fc.integer({ min: 1, max: 45 }), { maxLength: 10 }),
    overlaps: fc.array(fc.nat({ max: 4 }), { maxLength: 10 }),
  });

  it('gives the same final states and runs as one batch, even when batches overlap', () => {
    fc.assert(
      fc.property(steps, batching, (stepList, { cuts, overlaps }) => {
        const log = logOf(stepList);
        const whole = foldBatch(new Map(), log);

        const ends = [...cuts.filter((c) => c < log.length).sort((a, b) => a - b), log.length];
        const carried = new Map<string, EndpointState>();
        const latest = new Map<string, FoldedEndpoint>();
        const dispatched: unknown[] = [];
        const recordedRuns: unknown[] = [];
        let start = 0;
        ends.forEach((end, i) => {
          const from = Math.max(0, start - (overlaps[i] ?? 0));
          const batch = foldBatch(carried, log.slice(from, end));
          for (const [id, folded] of batch.endpoints) {
            carried.set(id, folded.state);
            latest.set(id, folded);
          }
          dispatched.push(...batch.dispatched);
          recordedRuns.push(...batch.recorded);
          start = end;
        });

        expect(latest).toEqual(whole.endpoints);
        expect(dispatched).toEqual(whole.dispatched);
        expect(recordedRuns).toEqual(whole.recorded);
      }),
    );
  });
});
