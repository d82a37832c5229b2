import { ProcessorMetrics, PROCESSOR_METRICS } from '@orrery/telemetry';
import { describe, expect, it } from 'vitest';
import { MemoryTelemetry } from './memory-telemetry.js';

describe('MemoryTelemetry', () => {
  it('reads percentiles of a histogram within 2 % of the exact ones', async () => {
    const telemetry = new MemoryTelemetry();
    const h = telemetry.instrumentation.meter.createHistogram('h', { unit: 's' });
    // 1 ms … 1000 ms, one value each: exact p50 0.5 s, p95 0.95 s, p99 0.99 s.
    for (let ms = 1; ms <= 1000; ms++) h.record(ms / 1000, { even: ms % 2 === 0 });
    const all = (await telemetry.totals()).histogram('h');
    expect(all.count).toBe(1000);
    expect([all.min, all.max]).toEqual([0.001, 1]);
    for (const [got, exact] of [
      [all.p50, 0.5],
      [all.p95, 0.95],
      [all.p99, 0.99],
    ] as const) {
      expect(Math.abs(got - exact) / exact).toBeLessThan(0.02);
    }
    expect((await telemetry.totals()).histogram('h', { even: true }).count).toBe(500);
    await telemetry.shutdown();
  });

  it('gives each named window what was recorded since its own last read', async () => {
    const telemetry = new MemoryTelemetry(['window', 'status']);
    const processor = new ProcessorMetrics(telemetry.instrumentation.meter, 'p1');
    processor.handled('appended', 2);
    expect((await telemetry.window('status')).sum(PROCESSOR_METRICS.events)).toBe(2);
    processor.handled('duplicate');
    const status = await telemetry.window('status');
    const window = await telemetry.window();
    expect(status.sum(PROCESSOR_METRICS.events)).toBe(1);
    expect(window.sum(PROCESSOR_METRICS.events)).toBe(3);
    expect(window.sum(PROCESSOR_METRICS.events, { 'orrery.processor.outcome': 'duplicate' })).toBe(
      1,
    );
    expect(
      (await telemetry.totals()).sum(PROCESSOR_METRICS.events, { 'orrery.processor.name': 'p1' }),
    ).toBe(3);
    await telemetry.shutdown();
  });
});
