import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { fromIso, toIso } from './time.js';

/** What fromIso answered before it read its own form by hand. */
const byDateParse = (iso: string): number | 'throws' => {
  const ms = Date.parse(iso);
  return Number.isNaN(ms) ? 'throws' : ms;
};
const byFromIso = (iso: string): number | 'throws' => {
  try {
    return fromIso(iso);
  } catch {
    return 'throws';
  }
};

describe('toIso', () => {
  it('writes what Date.prototype.toISOString writes, in time order or not', () => {
    const instant = fc.oneof(
      fc.integer({ min: -62_135_596_800_000, max: 253_402_300_799_999 }),
      fc.integer({ min: 1_700_000_000_000, max: 1_700_000_180_000 }), // a few minutes: cached
      fc.double({ min: -1e13, max: 1e13, noNaN: true }),
    );
    fc.assert(
      fc.property(fc.array(instant, { minLength: 1, maxLength: 20 }), (instants) => {
        for (const ms of instants) expect(toIso(ms)).toBe(new Date(ms).toISOString());
      }),
      { numRuns: 2_000 },
    );
    for (const ms of [0, 59_999, 60_000, Date.UTC(9999, 11, 31, 23, 59, 59, 999)]) {
      expect(toIso(ms)).toBe(new Date(ms).toISOString());
    }
    expect(() => toIso(Number.NaN)).toThrow(RangeError);
    expect(() => toIso(Date.UTC(275_761, 0, 1))).toThrow(RangeError);
  });
});

describe('fromIso', () => {
  it('reads back every instant toIso writes', () => {
    fc.assert(
      fc.property(fc.integer({ min: -62_135_596_800_000, max: 253_402_300_799_999 }), (ms) => {
        expect(fromIso(toIso(ms))).toBe(ms);
      }),
      { numRuns: 5_000 },
    );
  });

  it('answers as Date.parse does for text shaped like an instant, valid or not', () => {
    const two = (max: number) => fc.integer({ min: 0, max }).map((n) => String(n).padStart(2, '0'));
    const shaped = fc
      .tuple(
        fc.integer({ min: 0, max: 9999 }).map((n) => String(n).padStart(4, '0')),
        two(13),
        two(32),
        two(25),
        two(61),
        two(61),
        fc.integer({ min: 0, max: 999 }).map((n) => String(n).padStart(3, '0')),
        fc.constantFrom('-', '-', '-', '/', 'x'),
        fc.constantFrom('T', 'T', 't', ' '),
        fc.constantFrom('Z', 'Z', 'z', '+'),
      )
      .map(
        ([y, mo, d, h, mi, s, ms, dash, t, z]) =>
          `${y}${dash}${mo}-${d}${t}${h}:${mi}:${s}.${ms}${z}`,
      );
    fc.assert(
      fc.property(shaped, (iso) => {
        expect(byFromIso(iso)).toEqual(byDateParse(iso));
      }),
      { numRuns: 20_000 },
    );
  });

  it.each([
    '2024-02-29T12:00:00.000Z', // a leap day
    '2026-02-29T12:00:00.000Z', // not a leap year: Date.parse rolls it over to 1 March
    '2100-02-29T00:00:00.000Z', // a century is not a leap year …
    '2000-02-29T00:00:00.000Z', // … unless it is a fourth one
    '2026-04-31T00:00:00.000Z',
    '2026-12-31T23:59:59.999Z',
    '2026-01-01T24:00:00.000Z',
    '2026-01-01T23:60:00.000Z',
    '0050-06-01T00:00:00.000Z', // Date.UTC would read the year as 1950
    '2026-1a-01T00:00:00.000Z',
    '2026-01-01T00:00:00.000+01:00',
    '2026-01-01',
  ])('%s reads as Date.parse reads it', (iso) => {
    expect(byFromIso(iso)).toEqual(byDateParse(iso));
  });

  it('names the text it cannot read', () => {
    expect(() => fromIso('yesterday')).toThrow('invalid ISO-8601 instant: yesterday');
  });
});
