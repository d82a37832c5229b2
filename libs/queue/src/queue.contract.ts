import type { QueuePayload, QueuePort, ReceivedMessage } from '@orrery/domain';
import { waitFor } from '@orrery/testkit';
import { setTimeout as delay } from 'node:timers/promises';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { InvalidPayloadError } from './payload.js';
import type { QueueErrorContext, QueueErrorHandler } from './queue-options.js';

/** One adapter instance for one test, with the back doors the contract needs. */
export interface QueueUnderTest {
  readonly port: QueuePort;
  /** Puts a job on the `execute` queue as a broken producer would: no typing, no checks. */
  pushRaw(id: string, data: unknown): Promise<void>;
  /** Whether job `id` is still waiting, active or due for a retry. */
  isQueued(id: string): Promise<boolean>;
  /** Releases what the test created (idempotent with `port.close()`). */
  dispose(): Promise<void>;
}

/** Retry settings every adapter under test is built with. */
export const CONTRACT_ATTEMPTS = 3;
export const CONTRACT_BACKOFF_MS = 10;

export type QueueFactory = (options: {
  onError: QueueErrorHandler;
  defaultAttempts: number;
  backoffDelayMs: number;
}) => Promise<QueueUnderTest>;

export const executePayload = (runId: string): QueuePayload<'execute'> => ({
  runId,
  endpointId: 'e1',
  tenantId: 't1',
  scheduledFor: '2026-01-01T00:00:00.000Z',
  dispatchedAt: '2026-01-01T00:00:00.000Z',
  leaseUntil: '2026-01-01T00:00:30.000Z',
  attempt: 1,
  request: { method: 'GET', url: 'http://127.0.0.1:1/x', headers: {} },
  timeoutMs: 1000,
  responseCapBytes: 1024,
});

const job = (id: string) => ({ id, data: executePayload(id) });

const until = (what: string, condition: () => boolean) =>
  waitFor(what, () => (condition() ? true : undefined), { timeoutMs: 5_000 });

/** A promise to hold handlers on, released by the test. */
function gate(): { readonly wait: Promise<void>; open(): void } {
  let open = (): void => {};
  const wait = new Promise<void>((resolve) => (open = resolve));
  return { wait, open };
}

/**
 * The behaviour every QueuePort adapter must share. Each test gets a fresh
 * adapter from `create` (in Redis: its own key prefix) and disposes it after.
 */
export function queueContract(name: string, create: QueueFactory): void {
  describe(`${name} (QueuePort contract)`, () => {
    let current: QueueUnderTest | undefined;
    let errors: { error: Error; context: QueueErrorContext }[] = [];
    beforeEach(async () => {
      errors = [];
      current = await create({
        onError: (error, context) => errors.push({ error, context }),
        defaultAttempts: CONTRACT_ATTEMPTS,
        backoffDelayMs: CONTRACT_BACKOFF_MS,
      });
    });
    afterEach(async () => {
      await current?.dispose();
      current = undefined;
    });
    const queue = (): QueueUnderTest => {
      if (!current) throw new Error('the queue exists only inside tests');
      return current;
    };

    it('delivers an enqueued job to the handler, parsed, as attempt 1', async () => {
      const received: ReceivedMessage<'execute'>[] = [];
      queue().port.consume('execute', async (j) => void received.push(j));
      await queue().port.enqueue('execute', [job('run-a')]);
      await until('the job to be handled', () => received.length === 1);
      expect(received).toEqual([{ id: 'run-a', data: executePayload('run-a'), attempt: 1 }]);
    });

    it('applies the schema on dequeue (defaults filled in)', async () => {
      const received: ReceivedMessage<'execute'>[] = [];
      queue().port.consume('execute', async (j) => void received.push(j));
      const { request: _request, ...rest } = executePayload('run-d');
      await queue().pushRaw('run-d', { ...rest, request: { url: 'http://127.0.0.1:1/y' } });
      await until('the job to be handled', () => received.length === 1);
      expect(received[0]?.data.request).toEqual({
        method: 'GET',
        url: 'http://127.0.0.1:1/y',
        headers: {},
      });
    });

    it('handles a job id enqueued twice only once', async () => {
      const handled: string[] = [];
      await queue().port.enqueue('execute', [job('dup-a')]);
      await queue().port.enqueue('execute', [job('dup-a'), job('dup-b'), job('dup-b')]);
      await queue().port.enqueue('execute', [job('dup-a'), job('last')]);
      // One consumer, one at a time, FIFO: once `last` is handled, any duplicate was too.
      queue().port.consume('execute', async (j) => void handled.push(j.id), { concurrency: 1 });
      await until('the last job to be handled', () => handled.includes('last'));
      expect(handled).toEqual(['dup-a', 'dup-b', 'last']);
    });

    it('runs at most `concurrency` handlers at once, and every job', async () => {
      const concurrency = 3;
      const ids = Array.from({ length: 10 }, (_, i) => `conc-${i}`);
      const held = gate();
      const done = new Set<string>();
      let active = 0;
      let maxActive = 0;
      await queue().port.enqueue('execute', ids.map(job));
      queue().port.consume(
        'execute',
        async (j) => {
          active++;
          maxActive = Math.max(maxActive, active);
          await held.wait;
          await delay(1); // let later jobs overlap with this one
          active--;
          done.add(j.id);
        },
        { concurrency },
      );
      // The first handlers are held, so the limit must be reached...
      try {
        await until(`${concurrency} handlers to be active`, () => active >= concurrency);
      } finally {
        held.open();
      }
      await until('every job to be handled', () => done.size === ids.length);
      // ...and never exceeded.
      expect(maxActive).toBe(concurrency);
    });

    it('reports its backlog: waiting, active, and when the oldest waiting job was enqueued', async () => {
      const port = queue().port;
      expect(await port.stats('execute')).toEqual({
        waiting: 0,
        active: 0,
        delayed: 0,
        oldestWaitingAt: null,
      });
      const before = Date.now();
      await port.enqueue('execute', [job('st-a'), job('st-b')]);
      const after = Date.now();
      // A later job dated strictly later, so reporting the newest instead would show.
      await waitFor('the clock to move on', () => (Date.now() > after ? true : undefined), {
        intervalMs: 1,
      });
      await port.enqueue('execute', [job('st-c')]);
      const queued = await port.stats('execute');
      expect(queued).toMatchObject({ waiting: 3, active: 0, delayed: 0 });
      expect(queued.oldestWaitingAt).toBeGreaterThanOrEqual(before);
      expect(queued.oldestWaitingAt).toBeLessThanOrEqual(after);
      const held = gate();
      const done = new Set<string>();
      port.consume(
        'execute',
        async (j) => {
          await held.wait;
          done.add(j.id);
        },
        { concurrency: 1 },
      );
      try {
        const busy = await waitFor('a job to be taken', async () => {
          const stats = await port.stats('execute');
          return stats.active === 1 ? stats : undefined;
        });
        expect(busy).toMatchObject({ waiting: 2, active: 1, delayed: 0 });
      } finally {
        held.open();
      }
      await until('every job to be handled', () => done.size === 3);
      const drained = await waitFor('the last job to leave the active state', async () => {
        const stats = await port.stats('execute');
        return stats.active === 0 ? stats : undefined;
      });
      expect(drained).toEqual({ waiting: 0, active: 0, delayed: 0, oldestWaitingAt: null });
    });

    it('retries a throwing handler with the attempt counted up', async () => {
      const attempts: number[] = [];
      queue().port.consume('execute', async (j) => {
        attempts.push(j.attempt);
        if (j.attempt === 1) throw new Error('transient');
      });
      await queue().port.enqueue('execute', [job('retry-a')]);
      await until('the second delivery', () => attempts.length === 2);
      expect(attempts).toEqual([1, 2]);
      expect(errors.map((e) => [e.error.message, e.context])).toEqual([
        [
          'transient',
          { kind: 'handler', queue: 'execute', jobId: 'retry-a', attempt: 1, willRetry: true },
        ],
      ]);
      await waitFor('the job to leave the queue', async () =>
        (await queue().isQueued('retry-a')) ? undefined : true,
      );
    });

    it('stops retrying after the configured attempts', async () => {
      const attempts: number[] = [];
      queue().port.consume('execute', async (j) => {
        attempts.push(j.attempt);
        throw new Error('always');
      });
      await queue().port.enqueue('execute', [job('doomed')]);
      await until('the last failure report', () => errors.some((e) => !e.context.willRetry));
      expect(attempts).toEqual([1, 2, 3]);
      expect(errors.map((e) => e.context.willRetry)).toEqual([true, true, false]);
      await waitFor('the job to leave the queue', async () =>
        (await queue().isQueued('doomed')) ? undefined : true,
      );
    });

    it('fails a payload that breaks its schema, without handling or retrying it', async () => {
      const handled: string[] = [];
      await queue().pushRaw('bad-1', { ...executePayload('bad-1'), timeoutMs: 'soon' });
      await queue().port.enqueue('execute', [job('after-bad')]);
      queue().port.consume('execute', async (j) => void handled.push(j.id), { concurrency: 1 });
      await until('the job after it to be handled', () => handled.includes('after-bad'));
      expect(handled).toEqual(['after-bad']);
      expect(errors).toHaveLength(1);
      const [reported] = errors;
      expect(reported?.context).toEqual({
        kind: 'payload',
        queue: 'execute',
        jobId: 'bad-1',
        attempt: 1,
        willRetry: false,
      });
      expect(reported?.error).toBeInstanceOf(InvalidPayloadError);
      expect(reported?.error.message).toMatch(/"execute".*bad-1.*timeoutMs/);
      expect(await queue().isQueued('bad-1')).toBe(false);
    });

    it.each(['consumer', 'queue'] as const)(
      '%s close() waits for the handler in flight',
      async (which) => {
        const held = gate();
        let started = false;
        let finished = false;
        const consumer = queue().port.consume('execute', async () => {
          started = true;
          await held.wait;
          finished = true;
        });
        await queue().port.enqueue('execute', [job('in-flight')]);
        await until('the handler to start', () => started);
        const closing = (which === 'consumer' ? consumer.close() : queue().port.close()).then(
          () => finished,
        );
        // A detection window, not a wait for an outcome: a close() that does not
        // wait would resolve within it; a correct one passes however long it takes.
        const early = await Promise.race([
          closing.then(() => 'closed'),
          delay(100).then(() => 'pending'),
        ]);
        expect(early).toBe('pending');
        held.open();
        expect(await closing).toBe(true);
      },
    );
  });
}
