import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { describe, expect, it } from 'vitest';
import { apiError, hang } from './fake-anthropic.test-support.js';
import { planAgainst, submit, useFakeAnthropic } from './session-harness.test-support.js';

const fakeApi = useFakeAnthropic();

describe('Claude planner backend: model API failures', () => {
  it('retries a 429 after the delay the API asks for, then completes', async () => {
    const fake = fakeApi();
    fake.enqueue(apiError(429, 'rate_limit_error', 'Number of requests exceeded', 200), submit());
    const { result } = await planAgainst(fake, { maxRetries: 2 });

    expect(result.outcome).toBe('completed');
    expect(fake.requests).toHaveLength(2);
    const [first, second] = fake.requests;
    expect(second!.at - first!.at).toBeGreaterThanOrEqual(190);
    expect(result.usage.modelCalls).toBe(1);
  });

  it('fails, naming the status, when the API stays overloaded (529) through every retry', async () => {
    const fake = fakeApi();
    fake.enqueue(...[1, 2, 3].map(() => apiError(529, 'overloaded_error', 'Overloaded')));
    const { result } = await planAgainst(fake, { maxRetries: 2 });

    expect(result.outcome).toBe('failed');
    expect(result.detail).toBe('model API error 529 overloaded_error: Overloaded');
    expect(fake.requests).toHaveLength(3);
    expect(result.proposals).toEqual([]);
    expect(result.usage.modelCalls).toBe(0);
  });

  it('does not retry a request the API refuses (400)', async () => {
    const fake = fakeApi();
    fake.enqueue(apiError(400, 'invalid_request_error', 'max_tokens: too large'), submit());
    const { result } = await planAgainst(fake, { maxRetries: 2 });

    expect(result.outcome).toBe('failed');
    expect(result.detail).toMatch(/^model API error 400 invalid_request_error/);
    expect(fake.requests).toHaveLength(1);
  });

  it('fails when the API does not answer within timeoutMs', async () => {
    const fake = fakeApi();
    fake.enqueue(hang());
    const { result, elapsedMs } = await planAgainst(fake, { timeoutMs: 300, maxRetries: 0 });

    expect(result.outcome).toBe('failed');
    expect(result.detail).toBe('model API timed out (no response within 300 ms)');
    expect(fake.requests).toHaveLength(1);
    expect(elapsedMs).toBeLessThan(3_000);
  });

  it('fails when the API is unreachable', async () => {
    const closed = createServer();
    await new Promise<void>((resolve) => closed.listen(0, '127.0.0.1', resolve));
    const { port } = closed.address() as AddressInfo;
    await new Promise((resolve) => closed.close(resolve));
    const { result } = await planAgainst(fakeApi(), { baseURL: `http://127.0.0.1:${port}` });

    expect(result.outcome).toBe('failed');
    expect(result.detail).toMatch(/^model API unreachable/);
  });

  it('ends as failed (aborted) when the caller aborts mid-request', async () => {
    const fake = fakeApi();
    fake.enqueue(hang());
    const { result, elapsedMs } = await planAgainst(fake, {}, { signal: AbortSignal.timeout(100) });

    expect(result.outcome).toBe('failed');
    expect(result.detail).toBe('aborted');
    expect(elapsedMs).toBeLessThan(3_000);
  });
});
