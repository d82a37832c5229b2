import {
  deleteKeysWithPrefix,
  describeWithRedis,
  redisUrl,
  uniquePrefix,
  waitFor,
} from '@orrery/testkit';
import { Queue } from 'bullmq';
import { Redis } from 'ioredis';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { BullmqQueue } from './bullmq-queue.js';
import {
  CONTRACT_ATTEMPTS,
  CONTRACT_BACKOFF_MS,
  executePayload,
  queueContract,
} from './queue.contract.js';

/** A plain BullMQ handle on the `execute` queue under `prefix`, to act as a broken producer and to inspect jobs. */
function rawQueue(prefix: string): { queue: Queue; close(): Promise<void> } {
  const connection = new Redis(redisUrl());
  const queue = new Queue('execute', { connection, prefix });
  return {
    queue,
    close: async () => {
      await queue.close();
      connection.disconnect();
    },
  };
}

const pending = new Set(['waiting', 'active', 'delayed', 'prioritized', 'waiting-children']);

describeWithRedis('BullmqQueue', () => {
  queueContract('BullmqQueue', async (options) => {
    const prefix = uniquePrefix('queue-contract');
    const port = new BullmqQueue({ connection: redisUrl(), prefix, ...options });
    const raw = rawQueue(prefix);
    return {
      port,
      pushRaw: async (id, data) => {
        // Retries configured, so only UnrecoverableError keeps a bad payload from a second try.
        await raw.queue.add('execute', data, {
          jobId: id,
          attempts: CONTRACT_ATTEMPTS,
          backoff: { type: 'exponential', delay: CONTRACT_BACKOFF_MS },
        });
      },
      isQueued: async (id) => {
        const job = await raw.queue.getJob(id);
        return job ? pending.has(await job.getState()) : false;
      },
      dispose: async () => {
        await port.close();
        await raw.close();
        await deleteKeysWithPrefix(prefix);
      },
    };
  });

  describe('BullMQ specifics', () => {
    let prefix = '';
    let raw: ReturnType<typeof rawQueue> | undefined;
    const closers: (() => Promise<void>)[] = [];
    const inspect = (): Queue => {
      if (!raw) throw new Error('only inside tests');
      return raw.queue;
    };
    const adapter = (options: Partial<ConstructorParameters<typeof BullmqQueue>[0]> = {}) => {
      const queue = new BullmqQueue({ connection: redisUrl(), prefix, ...options });
      closers.push(() => queue.close());
      return queue;
    };
    beforeEach(() => {
      prefix = uniquePrefix('bullmq');
      raw = rawQueue(prefix);
    });
    afterEach(async () => {
      for (const close of closers.splice(0)) await close();
      await raw?.close();
      await deleteKeysWithPrefix(prefix);
    });

    it('adds jobs under their own id, with retries, backoff and retention bounds', async () => {
      const queue = adapter({ defaultAttempts: 4, backoffDelayMs: 250 });
      await queue.enqueue('execute', [{ id: 'run-o', data: executePayload('run-o') }]);
      const job = await inspect().getJob('run-o');
      expect(job?.name).toBe('execute');
      expect(job?.data).toEqual(executePayload('run-o'));
      expect(job?.opts).toMatchObject({
        jobId: 'run-o',
        attempts: 4,
        backoff: { type: 'exponential', delay: 250 },
        removeOnComplete: { age: 3600, count: 1000 },
        removeOnFail: { age: 604800, count: 5000 },
      });
    });

    it('moves a bad payload to failed after one attempt, the reason naming the field', async () => {
      const queue = adapter();
      await inspect().add(
        'execute',
        { ...executePayload('bad-2'), tenantId: '' },
        { jobId: 'bad-2', attempts: 3 },
      );
      queue.consume('execute', async () => {});
      const job = await waitFor('the job to fail', async () => {
        const found = await inspect().getJob('bad-2');
        return found && (await found.getState()) === 'failed' ? found : undefined;
      });
      expect(job.attemptsMade).toBe(1);
      expect(job.failedReason).toMatch(/"execute".*bad-2.*tenantId/);
    });

    it('shares a queue between adapters: every job handled exactly once', async () => {
      const handled: string[] = [];
      const [a, b] = [adapter(), adapter()];
      a.consume('execute', async (job) => void handled.push(job.id), { concurrency: 2 });
      b.consume('execute', async (job) => void handled.push(job.id), { concurrency: 2 });
      const ids = Array.from({ length: 20 }, (_, i) => `shared-${i}`);
      await a.enqueue(
        'execute',
        ids.map((id) => ({ id, data: executePayload(id) })),
      );
      await waitFor('every job', () => (handled.length >= ids.length ? true : undefined));
      expect([...handled].sort()).toEqual([...ids].sort());
    });

    it('leaves a connection it was given open, and still consumes with it', async () => {
      const given = new Redis(redisUrl()); // default maxRetriesPerRequest: workers get a duplicate
      closers.push(async () => void given.disconnect());
      const queue = new BullmqQueue({ connection: given, prefix });
      const handled: string[] = [];
      queue.consume('execute', async (job) => void handled.push(job.id));
      await queue.enqueue('execute', [{ id: 'own-1', data: executePayload('own-1') }]);
      await waitFor('the job', () => (handled.length === 1 ? true : undefined));
      await queue.close();
      expect(given.status).toBe('ready');
      expect(await given.ping()).toBe('PONG');
    });
  });
});
