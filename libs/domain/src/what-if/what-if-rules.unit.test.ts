import { describe, expect, it } from 'vitest';
import { makeEvent } from '../events/event.js';
import { fromIso, toIso } from '../time.js';
import { matchRuns } from './compare.js';
import { responseFor } from './feed.js';
import type { RecordedRun } from './history.js';
import { Recorder, T0 } from './recorder.test-support.js';
import { attempt, recordShop, whatIfOf } from './shop.test-support.js';

const run = (runId: string, slot: number, status = 200): RecordedRun => ({
  runId,
  slot,
  reason: 'baseline_interval',
  cause: null,
  response: {
    ...makeEvent(
      'ResponseRecorded',
      {
        runId,
        startedAt: toIso(slot),
        finishedAt: toIso(slot + 10),
        durationMs: 10,
        status,
        ok: status < 300,
        headers: {},
        body: { from: runId },
        bodyTruncated: false,
      },
      { tenantId: 't1', actor: { kind: 'system', id: 'test' } },
    ),
    position: 1,
    streamId: 'endpoint-t1.e',
    streamVersion: 1,
    recordedAt: toIso(slot + 10),
  },
});

describe('the response fed to a simulated run', () => {
  const runs = [run('a', 1000), run('b', 4000, 503), run('c', 7000)];

  it('is the recorded run at the same time, within the tolerance, taken once', () => {
    expect(responseFor(runs, 4000, 250)).toMatchObject({ kind: 'recorded', fromRunId: 'b' });
    expect(responseFor(runs, 3900, 250)).toMatchObject({ kind: 'recorded', fromRunId: 'b' });
    expect(responseFor(runs, 4100, 250, new Set(['b']))).toMatchObject({
      kind: 'reused',
      fromRunId: 'b',
    });
  });

  it('else the latest recorded run before it, else the first after it', () => {
    expect(responseFor(runs, 5000, 250)).toMatchObject({
      kind: 'reused',
      fromRunId: 'b',
      response: { status: 503, ok: false, body: { from: 'b' } },
    });
    expect(responseFor(runs, 500, 250)).toMatchObject({ kind: 'reused', fromRunId: 'a' });
  });

  it('is assumed a success with an empty body when the endpoint never answered', () => {
    expect(responseFor([], 500, 250)).toEqual({
      kind: 'assumed',
      fromRunId: null,
      response: {
        durationMs: 0,
        status: 200,
        ok: true,
        headers: {},
        body: null,
        bodyTruncated: false,
      },
    });
  });
});

describe('matching recorded and simulated runs', () => {
  const at = (...times: number[]) => times.map((t) => ({ at: t }));

  it('pairs the nearest runs first, each once', () => {
    const { pairs, recorded, simulated } = matchRuns(
      at(0, 3000, 6000),
      at(0, 1000, 2000, 3000),
      1000,
    );
    expect(pairs.map(([r, s]) => [r.at, s.at])).toEqual([
      [0, 0],
      [3000, 3000],
    ]);
    expect(recorded).toEqual(at(6000));
    expect(simulated).toEqual(at(1000, 2000));
  });

  it('leaves runs farther apart than the window unpaired', () => {
    expect(matchRuns(at(0), at(1001), 1000).pairs).toEqual([]);
  });
});

describe('the arbiter under a changed policy', () => {
  // A planner pulls a 3 s poller both ways: faster, slower, faster, slower (three turns).
  const poller = () =>
    new Recorder({ answer: () => ({ status: 200, durationMs: 5 }) })
      .createJob('feeds')
      .register('poller', 'feeds', {})
      .plan(T0 + 12_000, 'poller', 'h1', { kind: 'interval', intervalMs: 1000, ttlMs: 60_000 })
      .plan(T0 + 20_000, 'poller', 'h2', { kind: 'interval', intervalMs: 10_000, ttlMs: 60_000 })
      .plan(T0 + 30_000, 'poller', 'h3', { kind: 'interval', intervalMs: 1000, ttlMs: 60_000 })
      .plan(T0 + 40_000, 'poller', 'h4', { kind: 'interval', intervalMs: 10_000, ttlMs: 60_000 })
      .runUntil(T0 + 80_000);

  it('turns accepted hints into anti-thrash refusals when the limit is one turn', () => {
    const history = poller();
    const recorded = history.events('poller').filter((e) => e.type === 'HintProposed');
    expect(recorded).toHaveLength(4);
    expect(whatIfOf(history).totals.proposalsChanged).toBe(0);

    const report = whatIfOf(history, { policies: { feeds: { antiThrash: { maxChanges: 1 } } } });
    const [e] = report.endpoints;
    // h3 turns a second time: refused, with a cooldown. h4 then asks for the interval in force
    // (10 s, since h3 was refused): no turn, so still accepted.
    expect(e?.proposals.changed.items).toEqual([
      expect.objectContaining({
        proposalId: 'h3',
        recorded: { outcome: 'accepted', rule: null },
        simulated: expect.objectContaining({ outcome: 'rejected', rule: 'anti_thrash' }),
      }),
    ]);
    expect(e?.simulated.refusals).toBe(1);
    // h3 sped the poller up to 1 s for ten seconds: without it, those runs vanish.
    expect(e?.vanished.count).toBeGreaterThan(5);
  });
});

describe('what a what-if refuses', () => {
  const shop = recordShop();

  it('an override that makes an invalid config', () => {
    const result = attempt(shop, {
      endpoints: { orders: { minIntervalMs: 5000, maxIntervalMs: 1000 } },
    });
    expect(result).toMatchObject({
      ok: false,
      error: { code: 'validation', field: 'changes.endpoints.orders.maxIntervalMs' },
    });
  });

  it('changes naming what is not simulated', () => {
    expect(attempt(shop, { endpoints: { nope: { jitterMs: 5 } } })).toMatchObject({
      ok: false,
      error: { code: 'unprocessable', field: 'changes.endpoints.nope' },
    });
    expect(attempt(shop, { policies: { other: {} } })).toMatchObject({
      ok: false,
      error: { code: 'unprocessable', field: 'changes.policies.other' },
    });
    expect(attempt(shop, { edges: { remove: ['inventory.pack'] } })).toMatchObject({
      ok: false,
      error: { code: 'unprocessable', field: 'changes.edges.remove.0' },
    });
  });

  it('an added edge that closes a cycle', () => {
    const result = attempt(shop, { edges: { add: [{ downstream: 'orders', upstream: 'pack' }] } });
    expect(result).toMatchObject({
      ok: false,
      error: { code: 'unprocessable', message: expect.stringContaining('cycle') },
    });
  });

  it('never takes an input recorded after the window', () => {
    const early = whatIfOf(shop, {}, { to: T0 + 20_000 });
    const last = early.endpoints.flatMap((e) => e.vanished.items.concat(e.appeared.items));
    expect(last).toEqual([]);
    expect(fromIso(early.window.to)).toBe(T0 + 20_000);
  });
});
