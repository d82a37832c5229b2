import { describe, expect, it } from 'vitest';
import type { EndpointState } from '../endpoint/state.js';
import type { Millis } from '../time.js';
import { DAY, HOUR, active, at, config, lastRun } from './arbitraries.test-support.js';
import { nextRun } from './governor.js';
import { fold } from '../endpoint/evolve.js';
import { makeEvent } from '../events/event.js';

const meta = { tenantId: 't1', actor: { kind: 'system' as const, id: 'test' } };

const cron = (expression: string, timezone = 'UTC', overrides: Parameters<typeof config>[0] = {}) =>
  config({ baseline: { kind: 'cron', expression, timezone }, ...overrides });

/**
 * Runs the governor like a punctual dispatcher: each run is dispatched at `at` and recorded
 * for its `slot`. Returns the ISO instants of `n` runs.
 */
function punctualRuns(state: EndpointState, n: number): string[] {
  const out: string[] = [];
  let s = state;
  let now: Millis = state.registeredAt;
  for (let i = 0; i < n; i++) {
    const d = nextRun(s, now);
    if (d.at === null) break;
    out.push(new Date(d.at).toISOString());
    now = d.at;
    s = { ...s, lastRun: lastRun(d.slot, d.at) };
  }
  return out;
}

describe('cron baseline: anchoring', () => {
  it('given it never ran, then the first occurrence strictly after registration', () => {
    const state = active({ registeredAt: at('2026-01-01T00:00:00Z'), config: cron('0 * * * *') });
    const d = nextRun(state, at('2026-01-01T00:00:00Z'));
    expect(d).toMatchObject({ at: at('2026-01-01T01:00:00Z'), reason: 'first_run' });
  });

  it('given a run dispatched a few seconds late, then the next slot of the expression', () => {
    const run = lastRun(at('2026-01-01T10:00:00Z'), at('2026-01-01T10:00:03Z'));
    const d = nextRun(
      active({ config: cron('0 * * * *'), lastRun: run }),
      at('2026-01-01T10:00:05Z'),
    );
    expect(d).toMatchObject({ at: at('2026-01-01T11:00:00Z'), reason: 'baseline_cron' });
  });

  it('given a run dispatched 3.5 h late, then the missed slots coalesce: next is the first after dispatch', () => {
    const run = lastRun(at('2026-01-01T10:00:00Z'), at('2026-01-01T13:30:00Z'));
    const d = nextRun(
      active({ config: cron('0 * * * *'), lastRun: run }),
      at('2026-01-01T13:31:00Z'),
    );
    expect(d.at).toBe(at('2026-01-01T14:00:00Z'));
  });

  it('given a run dispatched just before its slot, then that slot is not run again', () => {
    const run = lastRun(at('2026-01-01T10:00:00Z'), at('2026-01-01T09:59:59Z'));
    const d = nextRun(
      active({ config: cron('0 * * * *'), lastRun: run }),
      at('2026-01-01T10:00:00Z'),
    );
    expect(d.at).toBe(at('2026-01-01T11:00:00Z'));
  });
});

describe('cron baseline: failure backoff grows from the gap between slots', () => {
  const hourly = (maxMs: number, failures: number, dispatchedAt: string) =>
    active({
      config: cron('0 * * * *', 'UTC', { backoff: { factor: 2, maxMs } }),
      lastRun: lastRun(at('2026-01-01T10:00:00Z'), at(dispatchedAt)),
      consecutiveFailures: failures,
    });

  it('given 3 failures (8 h) capped at 6 h, then the first slot at or after dispatch + 6 h', () => {
    const d = nextRun(hourly(6 * HOUR, 3, '2026-01-01T10:00:00Z'), at('2026-01-01T10:01:00Z'));
    expect(d.at).toBe(at('2026-01-01T16:00:00Z'));
    expect(d.inputs.backoff).toEqual({
      failures: 3,
      factor: 2,
      maxMs: 6 * HOUR,
      baseMs: HOUR,
      delayMs: 6 * HOUR,
      notBefore: at('2026-01-01T16:00:00Z'),
    });
  });

  it('given the same but dispatched 2 s late, then the backoff still counts from the slot', () => {
    // Counting from the dispatch would push the run a whole slot further for 2 s of lateness.
    const d = nextRun(hourly(6 * HOUR, 3, '2026-01-01T10:00:02Z'), at('2026-01-01T10:01:00Z'));
    expect(d.at).toBe(at('2026-01-01T16:00:00Z'));
  });

  it('given a per-second cron, factor 1 and one failure dispatched 20 ms late, then the next slot runs', () => {
    const state = fold([
      makeEvent(
        'EndpointRegistered',
        {
          endpointId: 'e1',
          jobId: 'j1',
          tenantId: 't1',
          registeredAt: '2026-01-01T00:00:00.000Z',
          config: {
            name: 'c',
            request: { url: 'http://127.0.0.1:9/x' },
            baseline: { kind: 'cron', expression: '* * * * * *', timezone: 'UTC' },
            backoff: { factor: 1, maxMs: 60_000 },
          },
        },
        meta,
      ),
      makeEvent(
        'RunDispatched',
        {
          runId: 'r1',
          scheduledFor: '2026-01-01T00:00:05.000Z',
          dispatchedAt: '2026-01-01T00:00:05.020Z',
          leaseUntil: '2026-01-01T00:00:35.020Z',
          attempt: 1,
          reason: 'baseline_cron',
        },
        meta,
      ),
      makeEvent(
        'ResponseRecorded',
        {
          runId: 'r1',
          startedAt: '2026-01-01T00:00:05.020Z',
          finishedAt: '2026-01-01T00:00:05.030Z',
          durationMs: 10,
          status: 500,
          ok: false,
          headers: {},
          body: null,
          bodyTruncated: false,
        },
        meta,
      ),
    ]);
    expect(nextRun(state, at('2026-01-01T00:00:05.100Z')).at).toBe(at('2026-01-01T00:00:06Z'));
  });

  it('given the default 1 h cap on an hourly cron, then backoff changes nothing', () => {
    const d = nextRun(hourly(HOUR, 3, '2026-01-01T10:00:00Z'), at('2026-01-01T10:01:00Z'));
    expect(d.at).toBe(at('2026-01-01T11:00:00Z'));
  });

  it('given a weekday cron failing on Friday, then the gap is Mon→Tue (1 day) and the delay lands on a slot', () => {
    const friday = lastRun(at('2026-01-02T09:00:00Z'));
    const weekdays = (failures: number) =>
      active({
        config: cron('0 9 * * MON-FRI', 'UTC', { backoff: { factor: 2, maxMs: 7 * DAY } }),
        lastRun: friday,
        consecutiveFailures: failures,
      });
    // 1 failure: 2 days → Sunday 09:00, the first slot at or after is Monday as usual.
    expect(nextRun(weekdays(1), friday.dispatchedAt).at).toBe(at('2026-01-05T09:00:00Z'));
    // 3 failures: 8 days capped at 7 → Friday 2026-01-09 09:00 exactly, a slot.
    const d = nextRun(weekdays(3), friday.dispatchedAt);
    expect(d.at).toBe(at('2026-01-09T09:00:00Z'));
    expect(d.inputs.backoff).toMatchObject({ baseMs: DAY, delayMs: 7 * DAY });
  });
});

describe('cron baseline: DST', () => {
  // Europe/Berlin: CET (UTC+1) / CEST (UTC+2). 2026-03-29 02:00 CET jumps to 03:00 CEST;
  // 2026-10-25 03:00 CEST falls back to 02:00 CET, so 02:00–02:59 happens twice.
  it('given 30 2 * * * in Berlin over spring-forward, then the missing 02:30 runs at 03:00 CEST', () => {
    const state = active({
      registeredAt: at('2026-03-27T12:00:00Z'),
      config: cron('30 2 * * *', 'Europe/Berlin'),
    });
    expect(punctualRuns(state, 4)).toEqual([
      '2026-03-28T01:30:00.000Z', // 02:30 CET
      '2026-03-29T01:00:00.000Z', // 02:30 does not exist: croner runs at the end of the gap, 03:00 CEST
      '2026-03-30T00:30:00.000Z', // 02:30 CEST
      '2026-03-31T00:30:00.000Z',
    ]);
  });

  it('given 30 2 * * * in Berlin over fall-back, then the repeated 02:30 runs once (the first, CEST)', () => {
    const state = active({
      registeredAt: at('2026-10-23T12:00:00Z'),
      config: cron('30 2 * * *', 'Europe/Berlin'),
    });
    expect(punctualRuns(state, 4)).toEqual([
      '2026-10-24T00:30:00.000Z', // 02:30 CEST
      '2026-10-25T00:30:00.000Z', // first 02:30 (CEST); the second (01:30Z, CET) is skipped
      '2026-10-26T01:30:00.000Z', // 02:30 CET
      '2026-10-27T01:30:00.000Z',
    ]);
  });

  it('given a dispatch delayed into the repeated hour, then the second 02:30 still does not run', () => {
    const run = lastRun(at('2026-10-25T00:30:00Z'), at('2026-10-25T01:10:00Z')); // 02:10 CET
    const d = nextRun(
      active({ config: cron('30 2 * * *', 'Europe/Berlin'), lastRun: run }),
      at('2026-10-25T01:10:00Z'),
    );
    expect(d.at).toBe(at('2026-10-26T01:30:00Z'));
  });

  it('given 0 9 * * * in New York, then 14:00Z in EST and 13:00Z in EDT (from 2026-03-08 to 2026-11-01)', () => {
    const march = active({
      registeredAt: at('2026-03-06T12:00:00Z'),
      config: cron('0 9 * * *', 'America/New_York'),
    });
    expect(punctualRuns(march, 4)).toEqual([
      '2026-03-06T14:00:00.000Z', // 09:00 EST (UTC-5)
      '2026-03-07T14:00:00.000Z',
      '2026-03-08T13:00:00.000Z', // DST began at 02:00 that morning: 09:00 EDT (UTC-4)
      '2026-03-09T13:00:00.000Z',
    ]);
    const november = active({
      registeredAt: at('2026-10-30T12:00:00Z'),
      config: cron('0 9 * * *', 'America/New_York'),
    });
    expect(punctualRuns(november, 4)).toEqual([
      '2026-10-30T13:00:00.000Z', // 09:00 EDT
      '2026-10-31T13:00:00.000Z',
      '2026-11-01T14:00:00.000Z', // DST ended at 02:00 that morning: 09:00 EST
      '2026-11-02T14:00:00.000Z',
    ]);
  });

  it('given 0 9 * * * in UTC, then 09:00Z all year round', () => {
    const state = active({ registeredAt: at('2026-03-07T12:00:00Z'), config: cron('0 9 * * *') });
    expect(punctualRuns(state, 2)).toEqual([
      '2026-03-08T09:00:00.000Z',
      '2026-03-09T09:00:00.000Z',
    ]);
  });
});
