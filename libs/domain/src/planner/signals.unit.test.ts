import { describe, expect, it } from 'vitest';
import { readSignals, type CoordinationSignals } from './signals.js';

// Given a response body, when its signals are read, then each field of the contract
// (docs/coordination-signals.md) with its type, and nothing for a field of the wrong type.

const none: CoordinationSignals = {
  requestImmediateCheck: false,
  recommendedIntervalMs: null,
  hintTtlMs: null,
  cooldownUntil: null,
  pauseUntil: null,
  readyForNextStage: false,
  downstreamIntervalMs: null,
};

describe('readSignals', () => {
  it('reads every field of the contract from the top level of a JSON object', () => {
    const body = {
      items: [],
      request_immediate_check: true,
      recommended_interval_ms: 300_000,
      hint_ttl_ms: 3_600_000,
      cooldown_until: '2026-11-30T12:05:00Z',
      pause_until: '2026-11-30T13:00:00.250Z',
      ready_for_next_stage: true,
      downstream_interval_ms: 5_000,
    };
    expect(readSignals(body)).toEqual({
      requestImmediateCheck: true,
      recommendedIntervalMs: 300_000,
      hintTtlMs: 3_600_000,
      cooldownUntil: Date.UTC(2026, 10, 30, 12, 5, 0),
      pauseUntil: Date.UTC(2026, 10, 30, 13, 0, 0, 250),
      readyForNextStage: true,
      downstreamIntervalMs: 5_000,
    });
  });

  it('reads nothing from a body without signals', () => {
    expect(readSignals({ items: [1, 2], status: 'ok' })).toEqual(none);
    expect(readSignals({})).toEqual(none);
  });

  it.each([
    ['null', null],
    ['undefined (no body)', undefined],
    ['a string', '{"request_immediate_check":true}'],
    ['a number', 42],
    ['a boolean', true],
    [
      'an array of signal objects',
      [{ request_immediate_check: true, pause_until: '2026-11-30T12:05:00Z' }],
    ],
  ])('reads nothing from a body that is %s', (_, body) => {
    expect(readSignals(body)).toEqual(none);
  });

  it('does not search nested objects', () => {
    const body = {
      data: { request_immediate_check: true, recommended_interval_ms: 5_000 },
      meta: { signals: { pause_until: '2026-11-30T12:05:00Z', ready_for_next_stage: true } },
    };
    expect(readSignals(body)).toEqual(none);
  });

  describe('integer fields (recommended_interval_ms, hint_ttl_ms, downstream_interval_ms)', () => {
    const fields = [
      ['recommended_interval_ms', 'recommendedIntervalMs'],
      ['hint_ttl_ms', 'hintTtlMs'],
      ['downstream_interval_ms', 'downstreamIntervalMs'],
    ] as const;

    it.each(fields)('reads %s as a positive integer', (field, key) => {
      expect(readSignals({ [field]: 1 })[key]).toBe(1);
      expect(readSignals({ [field]: 86_400_000 })[key]).toBe(86_400_000);
      // JSON has one number type: `5000.0` parses to the integer 5000.
      expect(readSignals(JSON.parse(`{"${field}": 5000.0}`))[key]).toBe(5_000);
    });

    const wrong: [string, unknown][] = [
      ['a string number', '5000'],
      ['a float', 1.5],
      ['zero', 0],
      ['a negative', -5_000],
      ['NaN', Number.NaN],
      ['Infinity', Number.POSITIVE_INFINITY],
      ['a boolean', true],
      ['null', null],
      ['an array', [5_000]],
      ['an object', { ms: 5_000 }],
    ];
    for (const [field, key] of fields) {
      it.each(wrong)(`ignores ${field} given %s`, (_, value) => {
        const signals = readSignals({ [field]: value });
        expect(signals[key]).toBeNull();
        expect(signals).toEqual(none);
      });
    }
  });

  describe('instants (cooldown_until, pause_until)', () => {
    const fields = [
      ['cooldown_until', 'cooldownUntil'],
      ['pause_until', 'pauseUntil'],
    ] as const;

    it.each(fields)('parses %s as an ISO-8601 instant, in UTC or with an offset', (field, key) => {
      expect(readSignals({ [field]: '2026-11-30T12:05:00Z' })[key]).toBe(
        Date.UTC(2026, 10, 30, 12, 5),
      );
      expect(readSignals({ [field]: '2026-11-30T12:05:00.123Z' })[key]).toBe(
        Date.UTC(2026, 10, 30, 12, 5, 0, 123),
      );
      expect(readSignals({ [field]: '2026-11-30T13:05:00+01:00' })[key]).toBe(
        Date.UTC(2026, 10, 30, 12, 5),
      );
      expect(readSignals({ [field]: '2026-11-30T07:05:00-05:00' })[key]).toBe(
        Date.UTC(2026, 10, 30, 12, 5),
      );
    });

    const wrong: [string, unknown][] = [
      ['epoch milliseconds', Date.UTC(2026, 10, 30, 12, 5)],
      ['epoch seconds as a string', '1796040300'],
      ['a bare number string', '12'],
      ['an HTTP date', 'Mon, 30 Nov 2026 12:05:00 GMT'],
      ['an English date', 'November 30, 2026'],
      ['a word', 'tomorrow'],
      ['an empty string', ''],
      ['an impossible date', '2026-02-30T00:00:00Z'],
      ['a time without a zone (its meaning would depend on the server)', '2026-11-30T12:05:00'],
      ['a date without a time', '2026-11-30'],
      ['a boolean', true],
      ['null', null],
      ['an array', ['2026-11-30T12:05:00Z']],
      ['an object', { at: '2026-11-30T12:05:00Z' }],
    ];
    for (const [field, key] of fields) {
      it.each(wrong)(`ignores ${field} given %s`, (_, value) => {
        const signals = readSignals({ [field]: value });
        expect(signals[key]).toBeNull();
        expect(signals).toEqual(none);
      });
    }
  });

  describe('flags (request_immediate_check, ready_for_next_stage)', () => {
    const fields = [
      ['request_immediate_check', 'requestImmediateCheck'],
      ['ready_for_next_stage', 'readyForNextStage'],
    ] as const;

    it.each(fields)('reads %s only when it is true', (field, key) => {
      expect(readSignals({ [field]: true })[key]).toBe(true);
      for (const value of [false, 'true', 1, 'yes', null, [true], { value: true }]) {
        expect(readSignals({ [field]: value })).toEqual(none);
      }
    });
  });

  it('reads each field on its own: a wrong one does not spoil the others', () => {
    const body = {
      recommended_interval_ms: '5000',
      hint_ttl_ms: 60_000,
      cooldown_until: 'soon',
      pause_until: '2026-11-30T12:05:00Z',
      request_immediate_check: 'true',
      ready_for_next_stage: true,
      downstream_interval_ms: 2.5,
    };
    expect(readSignals(body)).toEqual({
      ...none,
      hintTtlMs: 60_000,
      pauseUntil: Date.UTC(2026, 10, 30, 12, 5),
      readyForNextStage: true,
    });
  });
});
