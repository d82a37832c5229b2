import { describe, expect, it } from 'vitest';
import { nextRun } from '../governor/governor.js';
import { NO_HOLDS } from '../governor/holds.js';
import { MAX_CASCADE_DEPTH } from './inputs.js';
import { downstream, eventOf, T0 } from './cascade.test-support.js';

const S = 1_000;
const MIN = 60 * S;
const triggerOnly = { baseline: { kind: 'none' } } as const;

describe('a trigger edge', () => {
  it('given a satisfying upstream response, fires a cascade whose run is due at once', () => {
    const d = downstream('transform', { ...triggerOnly }, [
      { upstream: 'extract', condition: 'body.ready_for_next_stage == true' },
    ]);
    const observed = d.observe('extract', T0 + S, {
      body: { batch_id: 7, ready_for_next_stage: true },
    });
    expect(d.types(observed)).toEqual(['UpstreamObserved', 'CascadeTriggered']);
    const fired = eventOf(observed, 'CascadeTriggered');
    expect(fired.data.cascade).toEqual({
      root: `run-extract-${T0 + S}`,
      depth: 1,
      chain: ['extract', 'transform'],
    });
    expect(nextRun(d.state, T0 + S).reason).toBe('cascade');

    const run = eventOf(d.dispatch(T0 + S + 5), 'RunDispatched');
    expect(run.data).toMatchObject({
      runId: fired.data.cascadeId,
      reason: 'cascade',
      scheduledFor: new Date(T0 + S).toISOString(),
      cascade: fired.data.cascade,
    });
    expect(d.state.cascade.pending).toEqual([]);
  });

  it('with dispatch asked, dispatches the fired cascade in the same decision', () => {
    const d = downstream('transform', { ...triggerOnly }, [{ upstream: 'extract' }]);
    const events = d.observe('extract', T0 + S, {}, { leaseMarginMs: 1_000, holds: NO_HOLDS });
    expect(d.types(events)).toEqual(['UpstreamObserved', 'CascadeTriggered', 'RunDispatched']);
    expect(eventOf(events, 'RunDispatched').data.runId).toBe(
      eventOf(events, 'CascadeTriggered').data.cascadeId,
    );
    // With a run in flight, the next cascade waits for the dispatcher.
    const next = d.observe('extract', T0 + 2 * S, {}, { leaseMarginMs: 1_000, holds: NO_HOLDS });
    expect(d.types(next)).toEqual(['UpstreamObserved', 'CascadeTriggered']);
  });

  it('with dispatch asked under a paused job, fires the cascade and leaves the run held', () => {
    const d = downstream('transform', { ...triggerOnly }, [{ upstream: 'extract' }]);
    const holds = {
      job: {
        jobId: 'j1',
        version: 2,
        archived: false,
        pause: { until: null, reason: 'maintenance', actor: { kind: 'user' as const, id: 'u' } },
      },
    };
    const events = d.observe('extract', T0 + S, {}, { leaseMarginMs: 1_000, holds });
    expect(d.types(events)).toEqual(['UpstreamObserved', 'CascadeTriggered']);
    expect(d.state.cascade.pending).toHaveLength(1);
  });

  it('given a false condition, records the response as not satisfied and runs nothing', () => {
    const d = downstream('load', { ...triggerOnly }, [
      { upstream: 'transform', condition: 'body.ready_for_next_stage == true' },
    ]);
    const observed = d.observe('transform', T0 + S, { body: { ready_for_next_stage: false } });
    expect(d.types(observed)).toEqual(['UpstreamObserved']);
    expect(eventOf(observed, 'UpstreamObserved').data.satisfied).toBe(false);
    expect(d.dispatch(T0 + 2 * S)).toEqual([]);
  });

  it('given a condition that cannot be evaluated, records why and treats it as not satisfied', () => {
    const d = downstream('load', { ...triggerOnly }, [
      { upstream: 'transform', condition: 'body.missing.key == 1' },
    ]);
    const observed = eventOf(d.observe('transform', T0 + S, { body: {} }), 'UpstreamObserved');
    expect(observed.data.satisfied).toBe(false);
    expect(observed.data.error).toMatch(/^condition: .*missing/);
  });

  it('observes one response once: a second delivery decides nothing', () => {
    const d = downstream('t', { ...triggerOnly }, [{ upstream: 'e' }]);
    const response = { runId: 'run-e-1', position: 5 };
    expect(d.observe('e', T0 + S, response)).toHaveLength(2);
    expect(d.observe('e', T0 + S, response)).toEqual([]);
  });

  it('renders the request from the upstream responses and the cascade', () => {
    const d = downstream(
      'load',
      {
        ...triggerOnly,
        request: {
          method: 'POST',
          url: 'http://127.0.0.1:9/load?batch={{ upstream.transform.body.batch_id }}',
          headers: { 'x-root': { value: '{{ cascade.root }}' } },
          body: '{"rows": {{ upstream.transform.body.rows }}}',
        },
      },
      [{ upstream: 'transform' }],
    );
    d.observe('transform', T0 + S, { runId: 'run-t-9', body: { batch_id: 'b-7', rows: 42 } });
    expect(d.state.cascade.pending[0]?.request).toMatchObject({
      url: 'http://127.0.0.1:9/load?batch=b-7',
      headers: { 'x-root': { value: 'run-t-9', secret: false } },
      body: '{"rows": 42}',
    });
  });

  it('dispatches a lapsed cascade run again with the same rendered request and chain', () => {
    const d = downstream(
      'load',
      { ...triggerOnly, request: { url: 'http://127.0.0.1:9/load?b={{ upstream.t.body.b }}' } },
      [{ upstream: 't' }],
    );
    d.observe('t', T0 + S, { body: { b: 7 } });
    const first = eventOf(d.dispatch(T0 + S), 'RunDispatched');
    const lapsed = d.state.inFlight?.leaseUntil ?? 0;
    const again = eventOf(d.dispatch(lapsed + 1), 'RunDispatched');
    expect(again.data).toMatchObject({
      runId: first.data.runId,
      attempt: 2,
      reason: 'lease_expired',
      cascade: first.data.cascade,
    });
    expect(d.state.inFlight?.request?.url).toBe('http://127.0.0.1:9/load?b=7');
  });

  it('records a run failure naming the template when a value is missing, and calls nothing', () => {
    const d = downstream(
      'load',
      {
        ...triggerOnly,
        request: { url: 'http://127.0.0.1:9/{{ upstream.transform.body.batch_id }}' },
      },
      [{ upstream: 'transform' }],
    );
    d.observe('transform', T0 + S, { body: { other: 1 } });
    const events = d.dispatch(T0 + S);
    expect(d.types(events)).toEqual(['RunDispatched', 'ResponseRecorded']);
    const failed = eventOf(events, 'ResponseRecorded');
    expect(failed.data.ok).toBe(false);
    expect(failed.data.error?.kind).toBe('template');
    expect(failed.data.error?.message).toMatch(
      /request\.url: .*upstream\.transform\.body\.batch_id.*batch_id/,
    );
    expect(d.state.inFlight).toBeNull();
  });
});

describe('fan-in', () => {
  const diamond = (fanIn?: { combine?: string; correlation?: string }) =>
    downstream('d', { ...triggerOnly, ...(fanIn ? { fanIn } : {}) }, [
      { upstream: 'b' },
      { upstream: 'c' },
    ]);
  const fromA = (aRun: string) => ({ cascade: { root: aRun, depth: 1, chain: ['a', 'x'] } });

  it('all: a diamond runs the join once per upstream run, when both sides answered', () => {
    const d = diamond();
    for (const [i, at] of [T0 + MIN, T0 + 2 * MIN].entries()) {
      expect(d.types(d.observe('b', at, fromA(`a${i}`)))).toEqual(['UpstreamObserved']);
      expect(d.types(d.observe('c', at + S, fromA(`a${i}`)))).toContain('CascadeTriggered');
      expect(d.types(d.dispatch(at + S))).toEqual(['RunDispatched']);
      d.respond(at + 2 * S);
    }
    const fired = d.log.filter((e) => e.type === 'CascadeTriggered');
    expect(fired).toHaveLength(2);
  });

  it('all, correlated on cascade.root: interleaved upstream runs each fire exactly once', () => {
    const d = diamond({ correlation: 'cascade.root' });
    d.observe('b', T0 + 1, fromA('a1'));
    d.observe('b', T0 + 2, fromA('a2'));
    const first = d.observe('c', T0 + 3, fromA('a2'));
    const second = d.observe('c', T0 + 4, fromA('a1'));
    expect(eventOf(first, 'CascadeTriggered').data.correlation).toBe('a2');
    expect(eventOf(second, 'CascadeTriggered').data.correlation).toBe('a1');
    // A late duplicate answer for a value that fired never fires it again.
    expect(d.types(d.observe('b', T0 + 5, fromA('a1')))).toEqual(['UpstreamObserved']);
  });

  it('all, correlated on body.batch_id: two sources must report the same batch', () => {
    const d = downstream(
      'processing',
      { ...triggerOnly, fanIn: { correlation: 'body.batch_id' } },
      [
        { upstream: 'source-a', condition: 'body.ready == true' },
        { upstream: 'source-b', condition: 'body.ready == true' },
      ],
    );
    d.observe('source-a', T0 + 1, { body: { batch_id: 7, ready: true } });
    expect(d.types(d.observe('source-b', T0 + 2, { body: { batch_id: 8, ready: true } }))).toEqual([
      'UpstreamObserved',
    ]);
    const fired = d.observe('source-b', T0 + 3, { body: { batch_id: 7, ready: true } });
    expect(eventOf(fired, 'CascadeTriggered').data).toMatchObject({
      correlation: '7',
      inputs: [{ edgeId: 'source-a.processing' }, { edgeId: 'source-b.processing' }],
    });
    // Batch 8 still waits for source-a.
    expect(d.state.cascade.edges['source-b.processing']?.waiting.map((w) => w.correlation)).toEqual(
      ['8'],
    );
  });

  it('an expression over edge names: (a || b) && c', () => {
    const d = downstream('d', { ...triggerOnly, fanIn: { combine: '(a || b) && c' } }, [
      { upstream: 'a' },
      { upstream: 'b' },
      { upstream: 'c' },
    ]);
    expect(d.types(d.observe('b', T0 + 1))).toEqual(['UpstreamObserved']);
    expect(d.types(d.observe('c', T0 + 2))).toEqual(['UpstreamObserved', 'CascadeTriggered']);
  });

  it('any: the first satisfying edge fires', () => {
    const d = diamond({ combine: 'any' });
    expect(d.types(d.observe('c', T0 + 1))).toEqual(['UpstreamObserved', 'CascadeTriggered']);
  });

  it('a stale upstream response does not count', () => {
    const d = downstream('d', { ...triggerOnly }, [
      { upstream: 'b', freshness: { kind: 'duration', ms: MIN } },
      { upstream: 'c', freshness: { kind: 'duration', ms: MIN } },
    ]);
    d.observe('b', T0);
    expect(d.types(d.observe('c', T0 + 2 * MIN))).toEqual(['UpstreamObserved']);
    // A fresh answer of b completes it.
    expect(d.types(d.observe('b', T0 + 2 * MIN + S))).toContain('CascadeTriggered');
  });

  it('since_last_run: answers from before the endpoint last ran on its own schedule are spent', () => {
    const d = downstream('d', { baseline: { kind: 'interval', everyMs: 10 * MIN } }, [
      { upstream: 'b' },
      { upstream: 'c' },
    ]);
    d.observe('b', T0 + MIN);
    d.dispatch(T0 + 10 * MIN); // its own baseline run
    d.respond(T0 + 10 * MIN + S);
    expect(d.types(d.observe('c', T0 + 11 * MIN))).toEqual(['UpstreamObserved']);
    expect(d.types(d.observe('b', T0 + 12 * MIN))).toContain('CascadeTriggered');
  });
});

describe('cascade safety', () => {
  it('refuses a cascade deeper than the limit', () => {
    const d = downstream('d', { ...triggerOnly }, [{ upstream: 'u' }]);
    const chain = Array.from({ length: MAX_CASCADE_DEPTH + 1 }, (_, i) => `e${i}`);
    chain[chain.length - 1] = 'u';
    const events = d.observe('u', T0 + 1, {
      cascade: { root: 'r', depth: MAX_CASCADE_DEPTH, chain },
    });
    expect(eventOf(events, 'CascadeRefused').data.rule).toBe('depth_limit');
    expect(d.state.cascade.pending).toEqual([]);
    expect(d.state.cascade.edges['u.d']?.waiting).toEqual([]);
  });

  it('refuses a cascade that would run an endpoint twice in one chain', () => {
    const d = downstream('d', { ...triggerOnly }, [{ upstream: 'u' }]);
    const events = d.observe('u', T0 + 1, {
      cascade: { root: 'r', depth: 2, chain: ['d', 'x', 'u'] },
    });
    expect(eventOf(events, 'CascadeRefused').data).toMatchObject({
      rule: 'loop',
      detail: expect.stringMatching(/d → x → u/),
    });
  });
});

describe('a gate edge', () => {
  const gated = () =>
    downstream('report', { baseline: { kind: 'interval', everyMs: MIN } }, [
      {
        upstream: 'monitor',
        mode: 'gate',
        condition: 'body.pause_low_priority != true',
        freshness: { kind: 'duration', ms: 10 * MIN },
      },
    ]);

  it('skips runs until the upstream has answered, recording what it saw', () => {
    const d = gated();
    const skipped = eventOf(d.dispatch(T0 + MIN), 'RunSkipped');
    expect(skipped.data).toMatchObject({
      reason: 'gate_closed',
      edgeId: 'monitor.report',
      saw: null,
      detail: expect.stringMatching(/no response from upstream monitor/),
    });
    // The slot is spent: the next one is a minute later, not a busy loop of skips.
    const slot = Date.parse(skipped.data.scheduledFor);
    expect(nextRun(d.state, T0 + MIN).at).toBe(slot + MIN);
  });

  it('stays closed while the upstream says so, and opens when it stops saying so', () => {
    const d = gated();
    d.observe('monitor', T0 + 30 * S, { runId: 'm1', body: { pause_low_priority: true } });
    const skipped = eventOf(d.dispatch(T0 + MIN), 'RunSkipped');
    expect(skipped.data.saw).toMatchObject({ runId: 'm1', endpointId: 'monitor' });
    d.observe('monitor', T0 + 90 * S, { runId: 'm2', body: { pause_low_priority: false } });
    expect(d.types(d.dispatch(T0 + 2 * MIN))).toEqual(['RunDispatched']);
  });

  it('closes again when the upstream answer goes stale', () => {
    const d = gated();
    d.observe('monitor', T0 + 30 * S, { body: { pause_low_priority: false } });
    expect(d.types(d.dispatch(T0 + MIN))).toEqual(['RunDispatched']);
    d.respond(T0 + MIN + S);
    const skipped = eventOf(d.dispatch(T0 + 11 * MIN), 'RunSkipped');
    expect(skipped.data.detail).toMatch(/stale/);
  });
});

describe('the breaker', () => {
  const guarded = () =>
    downstream('load', { baseline: { kind: 'interval', everyMs: MIN } }, [
      {
        upstream: 'transform',
        mode: 'gate',
        condition: 'true',
        onUpstreamFailure: { afterFailures: 2 },
        freshness: { kind: 'duration', ms: 60 * MIN },
      },
    ]);

  it('holds the downstream after N failed upstream runs, until the upstream succeeds', () => {
    const d = guarded();
    expect(d.types(d.observe('transform', T0 + 1, { ok: false, status: 500 }))).toEqual([
      'UpstreamObserved',
    ]);
    expect(d.types(d.observe('transform', T0 + 2, { ok: false, status: 500 }))).toEqual([
      'UpstreamObserved',
      'UpstreamFailing',
    ]);
    expect(nextRun(d.state, T0 + MIN)).toMatchObject({ at: null, reason: 'upstream_failing' });
    expect(d.dispatch(T0 + MIN)).toEqual([]);
    expect(d.types(d.observe('transform', T0 + MIN + S))).toEqual([
      'UpstreamObserved',
      'UpstreamRecovered',
    ]);
    expect(nextRun(d.state, T0 + MIN + S).reason).not.toBe('upstream_failing');
    expect(d.types(d.dispatch(T0 + 2 * MIN))).toEqual(['RunDispatched']);
  });

  it('a success between failures resets the count', () => {
    const d = guarded();
    d.observe('transform', T0 + 1, { ok: false, status: 500 });
    d.observe('transform', T0 + 2);
    expect(d.types(d.observe('transform', T0 + 3, { ok: false, status: 500 }))).toEqual([
      'UpstreamObserved',
    ]);
  });
});
