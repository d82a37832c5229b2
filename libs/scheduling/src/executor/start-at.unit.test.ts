import { describe, expect, it } from 'vitest';
import { startOf, waitUntil, type StartClock } from './start-at.js';

/** A clock whose timers advance it by what `fire` says (a timer may fire early or late). */
function fakeClock(start: number, fire: (asked: number) => number) {
  let now = start;
  const asked: number[] = [];
  const clock: StartClock = {
    now: () => now,
    sleep: async (ms) => {
      asked.push(ms);
      now += fire(ms);
    },
  };
  return { clock, asked, now: () => now };
}

describe('waitUntil (a run dispatched ahead waits for its start)', () => {
  it('given a start 120 ms ahead, then one timer of 120 ms, and it returns at the start', async () => {
    const { clock, asked, now } = fakeClock(1_000, (ms) => ms);
    expect(await waitUntil(1_120, clock)).toBe(120);
    expect(asked).toEqual([120]);
    expect(now()).toBe(1_120);
  });

  it('given a timer that fires early by the clock, then it sleeps again: never returns before the start', async () => {
    // Each timer fires 2 ms short of what it was asked (a stale loop time, a clock slew), but
    // time does move on (1 ms at least).
    const { clock, asked, now } = fakeClock(1_000, (ms) => Math.max(1, ms - 2));
    await waitUntil(1_050, clock);
    expect(now()).toBeGreaterThanOrEqual(1_050);
    expect(asked[0]).toBe(50);
    expect(asked.length).toBeGreaterThan(1);
  });

  it('given a fractional remainder, then the timer rounds up', async () => {
    const { clock, asked, now } = fakeClock(1_000, (ms) => ms);
    await waitUntil(1_010.4, clock);
    expect(asked).toEqual([11]);
    expect(now()).toBeGreaterThanOrEqual(1_010.4);
  });

  it('given a start already passed, or now, then no timer at all', async () => {
    const { clock, asked } = fakeClock(1_000, (ms) => ms);
    expect(await waitUntil(900, clock)).toBe(0);
    expect(await waitUntil(1_000, clock)).toBe(0);
    expect(asked).toEqual([]);
  });
});

describe('startOf', () => {
  const slot = '2026-01-01T00:00:00.000Z';
  it('is the slot, or startAt when the run was dispatched ahead; never before the slot', () => {
    expect(startOf({ scheduledFor: slot })).toBe(Date.parse(slot));
    expect(startOf({ scheduledFor: slot, startAt: '2026-01-01T00:00:00.250Z' })).toBe(
      Date.parse(slot) + 250,
    );
    expect(startOf({ scheduledFor: slot, startAt: '2025-12-31T23:59:59.000Z' })).toBe(
      Date.parse(slot),
    );
  });
});
