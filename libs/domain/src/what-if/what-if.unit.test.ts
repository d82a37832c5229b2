import { beforeAll, describe, expect, it } from 'vitest';
import { noChanges } from './changes.js';
import type { Recorder } from './recorder.test-support.js';
import type { EndpointWhatIf, WhatIfReport } from './report.js';
import { attempt, FROM, recordShop, TO, whatIfOf } from './shop.test-support.js';
import { whatIf } from './what-if.js';

let shop: Recorder;
beforeAll(() => {
  shop = recordShop();
});

const endpoint = (report: WhatIfReport, id: string): EndpointWhatIf => {
  const found = report.endpoints.find((e) => e.endpointId === id);
  if (!found) throw new Error(`${id} is not in the report`);
  return found;
};

/** A what-if with no change over `window` finds no difference: every recorded run unchanged. */
const expectNoDifference = (recorder: Recorder, window: { from: number; to: number }) => {
  const report = whatIfOf(recorder, {}, window);
  expect(report.totals, JSON.stringify(window)).toMatchObject({
    moved: 0,
    appeared: 0,
    vanished: 0,
    proposalsChanged: 0,
  });
  expect(report.totals.unchanged).toBe(report.totals.recordedRuns);
};

describe('what-if over a recorded minute of the shop', () => {
  it('given no change, reproduces every recorded run and proposal outcome', () => {
    const report = whatIfOf(shop);
    expect(report.totals).toMatchObject({
      moved: 0,
      appeared: 0,
      vanished: 0,
      proposalsChanged: 0,
    });
    expect(report.totals.unchanged).toBe(report.totals.recordedRuns);
    expect(report.totals.recordedRuns).toBeGreaterThan(40);
    expect(report.summary).toMatch(/no difference$/);
    for (const e of report.endpoints) {
      expect(e.responses).toMatchObject({ recorded: e.simulated.runs, reused: 0, assumed: 0 });
    }
    // The proposals were decided again, with their recorded outcomes.
    expect(endpoint(report, 'inventory').proposals).toMatchObject({ decided: 1 });
    expect(endpoint(report, 'orders').proposals).toMatchObject({ decided: 1 });
  });

  it('given no change, reproduces the log wherever the window starts and ends', () => {
    // Windows that start or end between an orders response and the cascade it fired a hop
    // later, or while a run is in flight.
    const edges = shop
      .events('orders')
      .filter((e) => e.type === 'ResponseRecorded')
      .map((e) => Date.parse(e.recordedAt))
      .filter((at) => at > FROM && at < FROM + 15_000)
      .flatMap((at) => [at - 20, at + 1, at + 29]);
    expect(edges.length).toBeGreaterThan(10);
    const windows = edges.flatMap((at) => [
      { from: at, to: at + 20_000 },
      { from: at - 20_000, to: at },
    ]);
    for (const window of windows) {
      expectNoDifference(shop, window);
    }
  });

  it('given no change, scheduled runs land on exactly their recorded slots', () => {
    const report = whatIfOf(shop, {}, { toleranceMs: 0 });
    for (const id of ['orders', 'inventory']) {
      const e = endpoint(report, id);
      expect(e.unchanged, id).toBe(e.recorded.runs);
      expect(e.simulated.runs, id).toBe(e.recorded.runs);
    }
    // A cascade's run is due when the cascade fires: here at once, there one processor hop
    // later. It is the same run because the same orders response fired it, whatever the times.
    const pack = endpoint(report, 'pack');
    expect(pack.recorded.runs).toBeGreaterThan(5);
    expect(pack.unchanged).toBe(pack.recorded.runs);
    expect(pack.moved.count).toBe(0);
    expect(pack.responses).toMatchObject({ recorded: pack.simulated.runs, reused: 0 });
  });

  it('given no change, reproduces a log a busy system wrote: late ticks, slow cascade hops', () => {
    // Cascades fired 900 ms after their upstream answered (beyond the tolerance and the move
    // window), runs started up to 200 ms late; windows ending between an orders response and
    // the cascade it fired, and starting anywhere.
    const busy = recordShop({ tickMs: 200, hopMs: 900 });
    const answered = busy
      .events('orders')
      .filter((e) => e.type === 'ResponseRecorded')
      .map((e) => Date.parse(e.recordedAt))
      .filter((at) => at > FROM + 20_000 && at < FROM + 40_000);
    expect(answered.length).toBeGreaterThan(4);
    const windows = [
      { from: FROM, to: TO },
      ...answered.flatMap((at) => [
        { from: FROM, to: at + 450 },
        { from: at + 450, to: TO },
      ]),
    ];
    for (const window of windows) expectNoDifference(busy, window);
    const pack = endpoint(whatIfOf(busy), 'pack');
    expect(pack.recorded.runs).toBeGreaterThan(5);
    expect(pack.responses).toMatchObject({ recorded: pack.simulated.runs, reused: 0 });
  });

  it('given no change, reproduces a window that starts between a decision and its append', () => {
    // Live, a decision is recorded a round trip after it was taken: a cascade fired, or a one-shot
    // hint accepted, just before `from` (the run's slot) can be in the log just after it. The
    // window holds that run, as the simulation does (it takes the decision again at `from`).
    for (const late of [
      recordShop({ appendMs: 12 }),
      recordShop({ appendMs: 40, tickMs: 200, hopMs: 900 }),
    ]) {
      const { appendMs = 0 } = late.options;
      // Between the decision and the append of every event in 30 s.
      const between = ['orders', 'inventory', 'pack']
        .flatMap((id) => late.events(id))
        .map((e) => Date.parse(e.recordedAt) - appendMs / 2)
        .filter((at) => at > FROM && at < FROM + 30_000);
      expect(between.length).toBeGreaterThan(20);
      const windows = between.flatMap((at) => [
        { from: at, to: TO },
        { from: FROM, to: at },
      ]);
      for (const window of windows) expectNoDifference(late, window);
    }
  });

  it('given pack alone, the recorded orders responses drive its cascades as they did', () => {
    const { endpoints, jobs } = shop.history();
    const report = whatIf({
      tenantId: 't1',
      from: FROM,
      to: FROM + 60_000,
      history: {
        endpoints: new Map([['pack', endpoints.get('pack') ?? []]]),
        jobs: new Map([['fulfil', jobs.get('fulfil') ?? []]]),
        upstreams: new Map([['orders', shop.events('orders')]]),
      },
      changes: noChanges,
    });
    expect(report.ok && report.value.endpoints).toEqual([
      expect.objectContaining({ endpointId: 'pack', moved: { count: 0, items: [] } }),
    ]);
    expect(report.ok && report.value.totals).toMatchObject({ appeared: 0, vanished: 0 });
    expect(report.ok && report.value.totals.recordedRuns).toBeGreaterThan(5);
  });

  it('when orders runs every second instead of three, runs appear and feed more cascades', () => {
    const report = whatIfOf(shop, {
      endpoints: { orders: { baseline: { kind: 'interval', everyMs: 1000 } } },
    });
    const orders = endpoint(report, 'orders');
    expect(orders.simulated.runs).toBeGreaterThan(orders.recorded.runs * 2);
    expect(orders.appeared.count).toBeGreaterThan(0);
    expect(orders.appeared.items[0]?.reason).toMatch(/baseline_interval|one_shot_hint/);
    // Runs that never happened answer with the latest recorded answer before them.
    expect(orders.responses.reused).toBeGreaterThan(0);
    expect(endpoint(report, 'pack').appeared.count).toBeGreaterThan(0);
    // Inventory did not change.
    expect(endpoint(report, 'inventory')).toMatchObject({
      moved: { count: 0 },
      appeared: { count: 0 },
    });
  });

  it('when orders runs every six seconds, runs vanish or move', () => {
    const report = whatIfOf(shop, {
      endpoints: { orders: { baseline: { kind: 'interval', everyMs: 6000 } } },
    });
    const orders = endpoint(report, 'orders');
    expect(orders.simulated.runs).toBeLessThan(orders.recorded.runs);
    expect(orders.vanished.count).toBeGreaterThan(0);
    expect(orders.unchanged + orders.moved.count + orders.appeared.count).toBe(
      orders.simulated.runs,
    );
    expect(orders.unchanged + orders.moved.count + orders.vanished.count).toBe(
      orders.recorded.runs,
    );
  });

  it('when the edge into pack is removed, the recorded cascades vanish', () => {
    const report = whatIfOf(shop, { edges: { remove: ['orders.pack'] } });
    const pack = endpoint(report, 'pack');
    expect(pack.recorded.runs).toBeGreaterThan(0);
    expect(pack).toMatchObject({ simulated: { runs: 0 }, vanished: { count: pack.recorded.runs } });
    expect(pack.vanished.items.every((run) => run.reason === 'cascade')).toBe(true);
    expect(endpoint(report, 'orders')).toMatchObject({
      vanished: { count: 0 },
      appeared: { count: 0 },
    });
  });

  it('when an edge is added, its upstream responses trigger new runs', () => {
    const report = whatIfOf(shop, {
      edges: { add: [{ downstream: 'quiet', upstream: 'inventory', name: 'stock' }] },
    });
    const quiet = endpoint(report, 'quiet');
    // One run per inventory response in the window, less the ones in flight at its end.
    expect(quiet.appeared.count).toBeGreaterThan(10);
    expect(quiet.appeared.items.every((run) => run.reason === 'cascade')).toBe(true);
    // With two trigger edges and `all`, pack still needs an orders response for each run.
    const pack = whatIfOf(shop, {
      edges: { add: [{ downstream: 'pack', upstream: 'inventory', name: 'stock' }] },
    });
    expect(endpoint(pack, 'pack')).toMatchObject({
      appeared: { count: 0 },
      vanished: { count: 0 },
    });
  });

  it('with the planner off, its proposals are dropped and the run it asked for vanishes', () => {
    const report = whatIfOf(shop, { planner: 'off' });
    const orders = endpoint(report, 'orders');
    expect(orders.proposals.changed.items).toEqual([
      expect.objectContaining({
        proposalId: 'p2',
        kind: 'oneShot',
        recorded: { outcome: 'accepted', rule: null },
        simulated: { outcome: 'dropped', rule: null, detail: null },
      }),
    ]);
    expect(orders.vanished.items.map((run) => run.reason)).toContain('one_shot_hint');
  });

  it('with no planner budget left, the extra run is refused by the budget rule', () => {
    const report = whatIfOf(shop, { policies: { shop: { budget: { perEndpoint: 0 } } } });
    const orders = endpoint(report, 'orders');
    expect(orders.proposals.changed.items[0]).toMatchObject({
      proposalId: 'p2',
      recorded: { outcome: 'accepted' },
      simulated: { outcome: 'rejected', rule: 'budget' },
    });
    expect(orders.simulated.refusals).toBe(1);
    // The slow-down of inventory adds no runs: it stays accepted.
    expect(endpoint(report, 'inventory').proposals.changed.count).toBe(0);
  });

  it('for an endpoint that never answered, responses are assumed and flagged', () => {
    const report = whatIfOf(shop, {
      endpoints: { quiet: { baseline: { kind: 'interval', everyMs: 10_000 } } },
    });
    const quiet = endpoint(report, 'quiet');
    expect(quiet.recorded.runs).toBe(0);
    expect(quiet.simulated.runs).toBeGreaterThanOrEqual(5);
    expect(quiet.appeared.count).toBe(quiet.simulated.runs);
    expect(quiet.responses).toMatchObject({
      recorded: 0,
      reused: 0,
      assumed: quiet.simulated.runs,
    });
    expect(quiet.responses.assumedRuns).toEqual(quiet.appeared.items.map((run) => run.runId));
    expect(report.totals.assumedResponses).toBe(quiet.simulated.runs);
  });

  it('is deterministic: the same request gives the same report', () => {
    const changes = {
      endpoints: { orders: { baseline: { kind: 'interval' as const, everyMs: 1500 } } },
    };
    expect(JSON.stringify(whatIfOf(shop, changes))).toBe(
      JSON.stringify(whatIfOf(recordShop(), changes)),
    );
  });

  it('gives up with a clear refusal beyond its run limit', () => {
    const result = attempt(shop, {}, { maxRuns: 10 });
    expect(result).toMatchObject({ ok: false, error: { code: 'unprocessable' } });
  });
});
