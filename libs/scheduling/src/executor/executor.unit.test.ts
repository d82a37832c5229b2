import { endpointStream, type QueuePayload, type QueuePort } from '@orrery/domain';
import { InMemoryEventStore } from '@orrery/event-store';
import { MemoryTelemetry } from '@orrery/testkit';
import pino from 'pino';
import { afterAll, describe, expect, it } from 'vitest';
import { EXECUTOR_METRICS } from './executor-metrics.js';
import { Executor, isStale } from './executor.js';

const LEASE_UNTIL = '2026-01-01T00:00:30.000Z';
const lease = Date.parse(LEASE_UNTIL);

const job: QueuePayload<'execute'> = {
  runId: 'run-1',
  endpointId: 'e1',
  tenantId: 't1',
  scheduledFor: '2026-01-01T00:00:00.000Z',
  dispatchedAt: '2026-01-01T00:00:00.000Z',
  leaseUntil: LEASE_UNTIL,
  attempt: 1,
  // Port 9 (discard) on loopback, refused by default: a call would be recorded as an outcome.
  request: { method: 'GET', url: 'http://127.0.0.1:9/x', headers: {} },
  timeoutMs: 1000,
  responseCapBytes: 1024,
};

const telemetry = new MemoryTelemetry();
afterAll(() => telemetry.shutdown());

/** An executor whose clock reads `at`, recording into `telemetry`. */
const executorAt = (store: InMemoryEventStore, at: number) =>
  new Executor({
    store,
    queue: {} as QueuePort,
    log: pino({ level: 'silent' }),
    now: () => at,
    instrumentation: telemetry.instrumentation,
  });

describe('stale execute jobs', () => {
  it('a job is stale once its lease has lapsed', () => {
    expect(isStale(job, lease - 1)).toBe(false);
    expect(isStale(job, lease)).toBe(true);
  });

  it('given a job that waited in the queue past its lease, the executor neither calls nor records, and counts the skip', async () => {
    const store = new InMemoryEventStore();
    await telemetry.window();
    const executor = executorAt(store, lease + 1_000);
    await executor.execute(job);
    await executor.stop();
    expect(await store.headPosition()).toBe(0);
    const seen = await telemetry.window();
    expect(seen.sum(EXECUTOR_METRICS.staleSkips)).toBe(1);
    expect(seen.sum(EXECUTOR_METRICS.recordedRuns)).toBe(0);
  });

  it('given a live job, the executor records its outcome, timed by its own clock', async () => {
    const store = new InMemoryEventStore();
    await telemetry.window();
    const executor = executorAt(store, lease - 25_000);
    await executor.execute(job);
    await executor.stop();
    const [recorded] = await store.readStream(endpointStream('t1', 'e1'));
    expect(recorded).toMatchObject({
      type: 'ResponseRecorded',
      data: { runId: 'run-1', ok: false, startedAt: '2026-01-01T00:00:05.000Z' },
    });
    const seen = await telemetry.window();
    expect(seen.sum(EXECUTOR_METRICS.staleSkips)).toBe(0);
    expect(seen.sum(EXECUTOR_METRICS.recordedRuns, { 'orrery.run.ok': false })).toBe(1);
    // Slot 00:00:00, call at 00:00:05 by the injected clock.
    expect(seen.histogram(EXECUTOR_METRICS.runLateness).max).toBe(5);
  });
});

describe('a run dispatched ahead', () => {
  it('given a job taken before its startAt, the executor waits for it by its own clock and the call starts at it, never before', async () => {
    const store = new InMemoryEventStore();
    const slot = Date.parse(job.scheduledFor);
    let now = slot - 180; // taken 180 ms ahead of its slot
    const sleeps: number[] = [];
    const executor = new Executor({
      store,
      queue: {} as QueuePort,
      log: pino({ level: 'silent' }),
      now: () => now,
      // Timers fire 1 ms short by this clock (1 ms at least): the executor must sleep again.
      sleep: async (ms) => {
        sleeps.push(ms);
        now += Math.max(1, ms - 1); // short, but time moves on
      },
      instrumentation: telemetry.instrumentation,
    });
    await executor.execute({
      ...job,
      dispatchedAt: new Date(now).toISOString(),
      startAt: job.scheduledFor,
    });
    await executor.stop();
    expect(sleeps[0]).toBe(180);
    const [recorded] = await store.readStream(endpointStream('t1', 'e1'));
    expect(recorded?.type).toBe('ResponseRecorded');
    const startedAt =
      recorded?.type === 'ResponseRecorded' ? Date.parse(recorded.data.startedAt) : 0;
    expect(startedAt).toBeGreaterThanOrEqual(slot);
  });
});
