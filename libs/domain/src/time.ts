/** Instants are epoch milliseconds inside the domain and ISO-8601 strings in events. */
export type Millis = number;

/**
 * `Date.prototype.toISOString`'s answer. Within one minute of the last call, only the seconds and
 * milliseconds are written (from tables): a replay writes the time of every event of the log, in
 * time order, and this is about five times as fast as a `Date` per call. Other instants (before
 * 1970, from the year 10000, fractions, NaN) go to `toISOString`, which defines the answer.
 */
export function toIso(ms: Millis): string {
  if (Number.isInteger(ms) && ms >= 0 && ms < YEAR_10000) {
    const rest = ms % 60_000;
    const minute = ms - rest;
    if (minute !== lastMinute) {
      lastMinute = minute;
      minutePrefix = new Date(minute).toISOString().slice(0, 17); // YYYY-MM-DDTHH:mm:
    }
    return minutePrefix + SECONDS[(rest / 1000) | 0] + MILLIS[rest % 1000];
  }
  return new Date(ms).toISOString();
}

const YEAR_10000 = Date.UTC(10_000, 0, 1);
let lastMinute = Number.NaN;
let minutePrefix = '';
const SECONDS = Array.from({ length: 60 }, (_, s) => `${String(s).padStart(2, '0')}.`);
const MILLIS = Array.from({ length: 1000 }, (_, ms) => `${String(ms).padStart(3, '0')}Z`);

export const fromIso = (iso: string): Millis => {
  const ms = iso.length === 24 ? fromCanonicalIso(iso) : Date.parse(iso);
  if (Number.isNaN(ms)) throw new Error(`invalid ISO-8601 instant: ${iso}`);
  return ms;
};

/**
 * `toIso`'s own form, `YYYY-MM-DDTHH:mm:ss.sssZ`, read digit by digit: every instant of every
 * event goes through `fromIso` when the log is folded, and this is three times as fast as
 * `Date.parse`. Anything else — another form, a field out of range (`Date.parse` rolls 31 February
 * over to March; `Date.UTC` would too, but it is left to the one that defines the answer), a year
 * before 100 (which `Date.UTC` reads as 19xx) — goes to `Date.parse`, so the answer is its answer.
 */
function fromCanonicalIso(iso: string): Millis {
  const year = digits(iso, 0, 4);
  const month = digits(iso, 5, 2);
  const day = digits(iso, 8, 2);
  const hour = digits(iso, 11, 2);
  const minute = digits(iso, 14, 2);
  const second = digits(iso, 17, 2);
  const milli = digits(iso, 20, 3);
  const shaped =
    iso.charCodeAt(4) === DASH &&
    iso.charCodeAt(7) === DASH &&
    iso.charCodeAt(10) === T &&
    iso.charCodeAt(13) === COLON &&
    iso.charCodeAt(16) === COLON &&
    iso.charCodeAt(19) === DOT &&
    iso.charCodeAt(23) === Z;
  const inRange =
    year >= 100 &&
    month >= 1 &&
    month <= 12 &&
    day >= 1 &&
    day <= daysIn(year, month) &&
    hour <= 23 &&
    minute <= 59 &&
    second <= 59 &&
    milli >= 0;
  if (!shaped || !inRange) return Date.parse(iso);
  return Date.UTC(year, month - 1, day, hour, minute, second, milli);
}

const DASH = 45;
const T = 84;
const COLON = 58;
const DOT = 46;
const Z = 90;
const ZERO = 48;

const daysIn = (year: number, month: number): number =>
  month === 2
    ? year % 4 === 0 && (year % 100 !== 0 || year % 400 === 0)
      ? 29
      : 28
    : month === 4 || month === 6 || month === 9 || month === 11
      ? 30
      : 31;

/** The number written by `length` decimal digits at `at`, or -1 when one is not a digit. */
function digits(text: string, at: number, length: number): number {
  let value = 0;
  for (let i = at; i < at + length; i++) {
    const digit = text.charCodeAt(i) - ZERO;
    if (digit < 0 || digit > 9) return -1;
    value = value * 10 + digit;
  }
  return value;
}
