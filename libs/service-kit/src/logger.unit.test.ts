import { Writable } from 'node:stream';
import { context, trace } from '@opentelemetry/api';
import { AsyncLocalStorageContextManager } from '@opentelemetry/context-async-hooks';
import { MemoryTelemetry } from '@orrery/testkit';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createLogger } from './logger.js';

/** A logger writing JSON lines into an array. */
function capture() {
  const lines: Record<string, unknown>[] = [];
  const sink = new Writable({
    write(chunk: Buffer, _encoding, done) {
      for (const line of chunk.toString().split('\n').filter(Boolean))
        lines.push(JSON.parse(line) as Record<string, unknown>);
      done();
    },
  });
  return { log: createLogger('test', 'info', sink), lines };
}

describe('createLogger: trace ids on log lines', () => {
  const telemetry = new MemoryTelemetry();
  const manager = new AsyncLocalStorageContextManager();
  beforeAll(() => {
    context.setGlobalContextManager(manager.enable());
  });
  afterAll(async () => {
    context.disable();
    await telemetry.shutdown();
  });

  it('a line logged inside an active span carries its trace id, span id and flags', async () => {
    const { log, lines } = capture();
    const { tracer } = telemetry.instrumentation;
    const ids = await tracer.startActiveSpan('work', async (span) => {
      await Promise.resolve(); // across an await, as real work logs
      log.child({ component: 'x' }).info('inside');
      span.end();
      return span.spanContext();
    });
    log.info('outside');
    expect(telemetry.spans().map((s) => s.spanContext().spanId)).toContain(ids.spanId);
    expect(lines[0]).toMatchObject({
      msg: 'inside',
      component: 'x',
      trace_id: ids.traceId,
      span_id: ids.spanId,
      trace_flags: '01',
    });
    expect(ids.traceId).toMatch(/^[0-9a-f]{32}$/);
    expect(lines[1]).toMatchObject({ msg: 'outside' });
    expect(lines[1]).not.toHaveProperty('trace_id');
  });

  it('a span that only carries a remote parent (a no-op tracer) still names the trace', () => {
    const { log, lines } = capture();
    const parent = {
      traceId: '4bf92f3577b34da6a3ce929d0e0e4736',
      spanId: '00f067aa0ba902b7',
      traceFlags: 0,
      isRemote: true,
    };
    context.with(trace.setSpanContext(context.active(), parent), () => log.info('remote'));
    expect(lines[0]).toMatchObject({
      trace_id: parent.traceId,
      span_id: parent.spanId,
      trace_flags: '00',
    });
  });
});
