import { describe, expect, it } from 'vitest';
import { ProblemError } from '../problem.js';
import { AuthFailureBudget, RetryLater } from './failure-budget.js';

const unauthorized = () => {
  throw new ProblemError('unauthorized', 'the API key is not valid');
};
const ok = () => 'tenant';

/** A check whose outcome the test decides later. */
const pending = () => {
  let settle!: (fail: boolean) => void;
  const outcome = new Promise<boolean>((resolve) => (settle = resolve));
  return {
    check: async () => ((await outcome) ? unauthorized() : ok()),
    fail: () => settle(true),
    pass: () => settle(false),
  };
};

const outcomes = (results: PromiseSettledResult<unknown>[]) =>
  results.map((r) =>
    r.status === 'fulfilled' ? 'ok' : r.reason instanceof RetryLater ? 429 : 401,
  );

describe('AuthFailureBudget', () => {
  it('refuses an address that spent its failures until its minute ends, then forgives it', async () => {
    let now = 1_000_000;
    const budget = new AuthFailureBudget({ perMinute: 3, now: () => now });
    for (let i = 0; i < 3; i++)
      await expect(budget.guard('a', unauthorized)).rejects.toThrow(/not valid/);

    now += 20_000;
    const refusal = await budget.guard('a', ok).catch((error: unknown) => error);
    expect(refusal).toBeInstanceOf(RetryLater);
    expect(refusal).toMatchObject({
      code: 'rate_limited',
      retryAfterSeconds: 40,
      message: expect.stringMatching(/at most 3 per minute; retry after 40 s/),
    });
    // Another address has its own budget.
    await expect(budget.guard('b', ok)).resolves.toBe('tenant');

    now += 40_000;
    await expect(budget.guard('a', ok)).resolves.toBe('tenant');
  });

  it('counts only failed authentications, not successes nor other errors', async () => {
    const budget = new AuthFailureBudget({ perMinute: 2 });
    for (let i = 0; i < 10; i++) await budget.guard('a', ok);
    const broken = () => {
      throw new Error('the database is down');
    };
    for (let i = 0; i < 10; i++) await expect(budget.guard('a', broken)).rejects.toThrow(/down/);
    await expect(budget.guard('a', unauthorized)).rejects.toThrow(/not valid/);
    await expect(budget.guard('a', ok)).resolves.toBe('tenant');
  });

  it('counts a refused key of a disabled tenant like an invalid one', async () => {
    const budget = new AuthFailureBudget({ perMinute: 2 });
    const disabled = () => {
      throw new ProblemError('forbidden', 'tenant acme is disabled');
    };
    await expect(budget.guard('a', disabled)).rejects.toThrow(/disabled/);
    await expect(budget.guard('a', disabled)).rejects.toThrow(/disabled/);
    await expect(budget.guard('a', ok)).rejects.toBeInstanceOf(RetryLater);
  });

  it('remembers a bounded number of addresses, forgetting the oldest first', async () => {
    const budget = new AuthFailureBudget({ perMinute: 1, maxAddresses: 2 });
    for (const address of ['a', 'b', 'c'])
      await expect(budget.guard(address, unauthorized)).rejects.toThrow(/not valid/);
    await expect(budget.guard('a', ok)).resolves.toBe('tenant');
    await expect(budget.guard('c', ok)).rejects.toBeInstanceOf(RetryLater);
  });

  it('lets no more checks run at once than failures are left, so a burst cannot race past', async () => {
    const budget = new AuthFailureBudget({ perMinute: 3 });
    const checks = Array.from({ length: 10 }, pending);
    let started = 0;
    const results = Promise.allSettled(
      checks.map((c) =>
        budget.guard('a', () => {
          started += 1;
          return c.check();
        }),
      ),
    );
    await Promise.resolve();
    expect(started).toBe(3);
    for (const c of checks) c.fail();
    expect(outcomes(await results)).toEqual([401, 401, 401, 429, 429, 429, 429, 429, 429, 429]);
  });

  it('lets waiting checks through as earlier ones succeed', async () => {
    const budget = new AuthFailureBudget({ perMinute: 2 });
    const checks = Array.from({ length: 6 }, pending);
    const results = Promise.allSettled(checks.map((c) => budget.guard('a', c.check)));
    checks[0]?.fail();
    for (const c of checks.slice(1)) c.pass();
    expect(outcomes(await results)).toEqual([401, 'ok', 'ok', 'ok', 'ok', 'ok']);
  });
});
