import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { Sleeper } from './sleeper.js';

/** Tracks whether a sleep has returned yet. */
function track(promise: Promise<void>): { readonly done: boolean } {
  const state = { done: false };
  void promise.then(() => {
    state.done = true;
  });
  return state;
}

describe('Sleeper', () => {
  beforeEach(() => {
    vi.useFakeTimers();
  });
  afterEach(() => {
    vi.useRealTimers();
  });

  it('returns when the time is up, not before', async () => {
    const sleep = track(new Sleeper().sleep(1000));

    await vi.advanceTimersByTimeAsync(999);
    expect(sleep.done).toBe(false);

    await vi.advanceTimersByTimeAsync(1);
    expect(sleep.done).toBe(true);
  });

  it('returns at once when woken during the sleep, and leaves no timer behind', async () => {
    const sleeper = new Sleeper();
    const sleep = track(sleeper.sleep(60_000));
    await vi.advanceTimersByTimeAsync(10);
    expect(sleep.done).toBe(false);

    sleeper.wake();
    await vi.advanceTimersByTimeAsync(0);

    expect(sleep.done).toBe(true);
    expect(vi.getTimerCount()).toBe(0);
  });

  it('remembers a wake-up that came while it was not sleeping', async () => {
    const sleeper = new Sleeper();
    sleeper.wake();

    const sleep = track(sleeper.sleep(60_000));
    await vi.advanceTimersByTimeAsync(0);

    expect(sleep.done).toBe(true);
  });

  it('remembers it once: the sleep after that waits again', async () => {
    const sleeper = new Sleeper();
    sleeper.wake();
    sleeper.wake();
    await sleeper.sleep(60_000);

    const next = track(sleeper.sleep(1000));
    await vi.advanceTimersByTimeAsync(999);

    expect(next.done).toBe(false);
    await vi.advanceTimersByTimeAsync(1);
    expect(next.done).toBe(true);
  });

  it('does not carry a wake-up that ended a sleep over to the next sleep', async () => {
    const sleeper = new Sleeper();
    const first = sleeper.sleep(60_000);
    sleeper.wake();
    await first;

    const next = track(sleeper.sleep(1000));
    await vi.advanceTimersByTimeAsync(500);

    expect(next.done).toBe(false);
  });

  it('treats a negative time as no wait', async () => {
    const sleep = track(new Sleeper().sleep(-5));

    await vi.advanceTimersByTimeAsync(0);

    expect(sleep.done).toBe(true);
  });

  it('sleeps the longest a timer allows for an endless time, instead of returning at once', async () => {
    const sleep = track(new Sleeper().sleep(Number.POSITIVE_INFINITY));

    await vi.advanceTimersByTimeAsync(24 * 3600 * 1000);
    expect(sleep.done).toBe(false);

    await vi.advanceTimersByTimeAsync(2 ** 31);
    expect(sleep.done).toBe(true);
  });
});
