import type { QueuePayload } from '@orrery/domain';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { InProcessQueue } from './in-process-queue.js';
import { executePayload, queueContract } from './queue.contract.js';

queueContract('InProcessQueue', async (options) => {
  const port = new InProcessQueue(options);
  return {
    port,
    // A broken producer: the payload's type is a lie the schema catches on dequeue.
    pushRaw: (id, data) => port.enqueue('execute', [{ id, data: data as QueuePayload<'execute'> }]),
    isQueued: async (id) => port.has('execute', id),
    dispose: () => port.close(),
  };
});

describe('InProcessQueue', () => {
  afterEach(() => {
    vi.useRealTimers();
  });

  it('leaves no retry timer behind after close()', async () => {
    // The retry delay is a real timer inside the adapter; fake timers let the test count it.
    vi.useFakeTimers();
    const failures: number[] = [];
    const queue = new InProcessQueue({
      backoffDelayMs: 60_000,
      onError: (_error, context) => void failures.push(context.attempt ?? 0),
    });
    queue.consume('execute', async () => {
      throw new Error('down');
    });
    await queue.enqueue('execute', [{ id: 'run-t', data: executePayload('run-t') }]);
    await vi.waitFor(() => expect(failures).toEqual([1]));
    expect(vi.getTimerCount()).toBe(1);
    expect(queue.has('execute', 'run-t')).toBe(true);
    await queue.close();
    expect(vi.getTimerCount()).toBe(0);
    expect(queue.size('execute')).toBe(0);
  });

  it('copies payloads at enqueue, as a real transport would', async () => {
    const queue = new InProcessQueue();
    const data = executePayload('run-c');
    const seen: string[] = [];
    await queue.enqueue('execute', [{ id: 'run-c', data }]);
    data.request.headers['x-late'] = { value: 'mutated after enqueue', secret: false };
    queue.consume(
      'execute',
      async (job) => void seen.push(...Object.keys(job.data.request.headers)),
    );
    await vi.waitFor(() => expect(queue.size('execute')).toBe(0));
    expect(seen).toEqual([]);
    await queue.close();
  });

  it('refuses job ids BullMQ could not store, so embedded mode catches them too', async () => {
    const queue = new InProcessQueue();
    const enqueue = (id: string) => queue.enqueue('execute', [{ id, data: executePayload(id) }]);
    await expect(enqueue('')).rejects.toThrow(/empty/);
    await expect(enqueue('42')).rejects.toThrow(/integer/);
    await expect(enqueue('a:b')).rejects.toThrow(/":"/);
    expect(queue.size('execute')).toBe(0);
    await queue.close();
  });

  it('refuses a concurrency below 1 and work after close()', async () => {
    const queue = new InProcessQueue();
    expect(() => queue.consume('execute', async () => {}, { concurrency: 0 })).toThrow(
      /concurrency/,
    );
    await queue.close();
    await expect(
      queue.enqueue('execute', [{ id: 'late', data: executePayload('late') }]),
    ).rejects.toThrow(/closed/);
  });
});
