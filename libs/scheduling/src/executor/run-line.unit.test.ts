import type { QueuePayload } from '@orrery/domain';
import type { CallOutcome } from '@orrery/http';
import { describe, expect, it } from 'vitest';
import { runLine, runSummary } from './run-line.js';

const slot = Date.parse('2026-03-01T12:00:00.000Z');

const job = (over: Partial<QueuePayload<'execute'>> = {}): QueuePayload<'execute'> => ({
  runId: 'run-demo-orders-1',
  endpointId: 'demo-orders',
  tenantId: 'default',
  scheduledFor: new Date(slot).toISOString(),
  dispatchedAt: new Date(slot).toISOString(),
  leaseUntil: new Date(slot + 60_000).toISOString(),
  attempt: 1,
  request: { method: 'GET', url: 'http://127.0.0.1:4610/orders', headers: {} },
  timeoutMs: 5_000,
  responseCapBytes: 1024,
  ...over,
});

const outcome = (over: Partial<CallOutcome> = {}): CallOutcome => ({
  startedAt: slot + 12,
  finishedAt: slot + 40,
  durationMs: 28,
  status: 200,
  ok: true,
  headers: {},
  body: null,
  bodyTruncated: false,
  ...over,
});

describe('a run’s log line', () => {
  it('says the endpoint, the outcome, how late the call started and why it ran', () => {
    const line = runLine(job({ reason: 'baseline_interval' }), outcome());

    expect(line).toEqual({
      endpoint: 'demo-orders',
      run: 'run-demo-orders-1',
      status: 200,
      ok: true,
      durationMs: 28,
      latenessMs: 12,
      reason: 'baseline_interval',
    });
    expect(runSummary(line)).toBe('run demo-orders 200 ok · 12 ms late · baseline');
  });

  it('tells a hint’s run from the baseline’s', () => {
    const once = runLine(job({ reason: 'one_shot_hint' }), outcome());
    const sooner = runLine(job({ reason: 'interval_hint' }), outcome());

    expect(runSummary(once)).toBe('run demo-orders 200 ok · 12 ms late · hint (run once)');
    expect(runSummary(sooner)).toBe('run demo-orders 200 ok · 12 ms late · hint (interval)');
  });

  it('says `schedule` for a message queued before dispatchers sent the reason', () => {
    expect(runLine(job(), outcome()).reason).toBe('schedule');
  });

  it('names the upstream endpoint whose response fired a cascade’s run', () => {
    const cascade = { root: 'run-demo-orders-1', depth: 1, chain: ['demo-orders', 'demo-pack'] };
    const line = runLine(
      job({ endpointId: 'demo-pack', cascade, reason: 'cascade' }),
      outcome({ status: 503, ok: false }),
    );

    expect(line).toMatchObject({ reason: 'cascade', cascadeFrom: 'demo-orders', ok: false });
    expect(runSummary(line)).toBe(
      'run demo-pack 503 failed · 12 ms late · cascade from demo-orders',
    );
  });

  it('calls a run dispatched again after its lease lapsed a retry, even a cascade’s', () => {
    const cascade = { root: 'r', depth: 1, chain: ['demo-orders', 'demo-pack'] };

    expect(runLine(job({ attempt: 2, cascade }), outcome()).reason).toBe('retry');
  });

  it('says the error kind when there was no response', () => {
    const line = runLine(
      job(),
      outcome({ status: null, ok: false, error: { kind: 'timeout', message: 'after 5000 ms' } }),
    );

    expect(line).toMatchObject({ status: null, ok: false, error: 'timeout' });
    expect(runSummary(line)).toBe('run demo-orders timeout · 12 ms late · schedule');
  });
});
