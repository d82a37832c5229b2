import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { retryTransient } from './retry-transient.js';

const refused = () =>
  Object.assign(new Error('database "orrery" is not currently accepting connections'), {
    code: '55000',
  });

/** An operation that fails with `errors` in turn, then answers 'recorded'. */
function failing(...errors: Error[]) {
  const calls = { count: 0 };
  const operation = () => {
    const error = errors[calls.count++];
    return error ? Promise.reject(error) : Promise.resolve('recorded');
  };
  return { operation, calls };
}

describe('retryTransient', () => {
  beforeEach(() => vi.useFakeTimers());
  afterEach(() => vi.useRealTimers());

  it('retries a database outage after 1 s, 2 s, 4 s, 5 s … until it answers', async () => {
    const { operation, calls } = failing(refused(), refused(), refused(), refused(), refused());
    const pauses: number[] = [];
    const result = retryTransient(operation, {
      signal: new AbortController().signal,
      onRetry: (_error, _retry, delayMs) => pauses.push(delayMs),
    });
    await vi.runAllTimersAsync();
    expect(await result).toBe('recorded');
    expect(calls.count).toBe(6);
    expect(pauses).toEqual([1_000, 2_000, 4_000, 5_000, 5_000]);
  });

  it('throws at once what is not an outage', async () => {
    const bug = new TypeError('not a function');
    const { operation, calls } = failing(bug);
    await expect(retryTransient(operation, { signal: new AbortController().signal })).rejects.toBe(
      bug,
    );
    expect(calls.count).toBe(1);
  });

  it('gives up once stopped: the pause ends and the next failure is thrown', async () => {
    const stop = new AbortController();
    const { operation, calls } = failing(refused(), refused(), refused());
    const result = retryTransient(operation, { signal: stop.signal });
    result.catch(() => {});
    await vi.advanceTimersByTimeAsync(1_500); // first pause over, second pause (2 s) begun
    stop.abort();
    await expect(result).rejects.toThrow('not currently accepting connections');
    expect(calls.count).toBe(3);
  });
});
