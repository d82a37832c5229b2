import { endpointStream, type QueuePayload, type QueuePort } from '@orrery/domain';
import { InMemoryEventStore } from '@orrery/event-store';
import pino from 'pino';
import { describe, expect, it } from 'vitest';
import { Executor, isStale } from './executor.js';

const job = (leaseUntil: string): QueuePayload<'execute'> => ({
  runId: 'run-1',
  endpointId: 'e1',
  tenantId: 't1',
  scheduledFor: '2026-01-01T00:00:00.000Z',
  dispatchedAt: '2026-01-01T00:00:00.000Z',
  leaseUntil,
  attempt: 1,
  // Port 9 (discard) on loopback, refused by default: a call would be recorded as an outcome.
  request: { method: 'GET', url: 'http://127.0.0.1:9/x', headers: {} },
  timeoutMs: 1000,
  responseCapBytes: 1024,
});

describe('stale execute jobs', () => {
  it('a job is stale once its lease has lapsed', () => {
    const lease = Date.parse('2026-01-01T00:00:30.000Z');
    expect(isStale(job('2026-01-01T00:00:30.000Z'), lease - 1)).toBe(false);
    expect(isStale(job('2026-01-01T00:00:30.000Z'), lease)).toBe(true);
  });

  it('given a job that waited in the queue past its lease, the executor neither calls nor records', async () => {
    const store = new InMemoryEventStore();
    const executor = new Executor({
      store,
      queue: {} as QueuePort,
      log: pino({ level: 'silent' }),
    });
    await executor.execute(job(new Date(Date.now() - 1_000).toISOString()));
    await executor.stop();
    expect(executor.stats.stale).toBe(1);
    expect(await store.headPosition()).toBe(0);
  });

  it('given a live job, the executor records its outcome', async () => {
    const store = new InMemoryEventStore();
    const executor = new Executor({
      store,
      queue: {} as QueuePort,
      log: pino({ level: 'silent' }),
    });
    await executor.execute(job(new Date(Date.now() + 60_000).toISOString()));
    await executor.stop();
    const [recorded] = await store.readStream(endpointStream('t1', 'e1'));
    expect(recorded).toMatchObject({
      type: 'ResponseRecorded',
      data: { runId: 'run-1', ok: false },
    });
    expect(executor.stats.stale).toBe(0);
  });
});
