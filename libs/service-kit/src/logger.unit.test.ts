import { Writable } from 'node:stream';
import { context, trace } from '@opentelemetry/api';
import { AsyncLocalStorageContextManager } from '@opentelemetry/context-async-hooks';
import { MemoryTelemetry } from '@orrery/testkit';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { chooseLogFormat, createLogger, type LoggerOptions } from './logger.js';

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
  return { log: createLogger('test', 'info', { format: 'json', destination: sink }), lines };
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

/** A pretty logger writing its text into a string. */
function capturePretty(summaries?: LoggerOptions['summaries']) {
  let text = '';
  const sink = new Writable({
    write(chunk: Buffer, _encoding, done) {
      text += chunk.toString();
      done();
    },
  });
  const log = createLogger('orrery', 'info', {
    format: 'pretty',
    destination: sink,
    ...(summaries ? { summaries } : {}),
  });
  return { log, text: () => text };
}

describe('createLogger: the format', () => {
  it('is pretty at a terminal and JSON elsewhere, unless LOG_FORMAT says which', () => {
    expect(chooseLogFormat(undefined, true)).toBe('pretty');
    expect(chooseLogFormat(undefined, false)).toBe('json');
    expect(chooseLogFormat('json', true)).toBe('json');
    expect(chooseLogFormat('pretty', false)).toBe('pretty');
  });

  it('writes a pretty line with the level, message and fields, without pid and service', () => {
    const { log, text } = capturePretty();
    log.info({ queue: 'in-process', demo: true }, 'Orrery is running');

    const lines = text().trimEnd().split('\n');
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatch(/^\[\d\d:\d\d:\d\d\.\d{3}\] INFO: Orrery is running /);
    expect(lines[0]).toContain('"queue":"in-process"');
    expect(lines[0]).not.toContain('pid');
    expect(lines[0]).not.toContain('"service"');
    expect(() => JSON.parse(lines[0] ?? '')).toThrow();
  });

  it('writes a line with a summary as that summary alone, after its time and level', () => {
    const { log, text } = capturePretty({
      'run recorded': (line) => `run ${String(line['endpoint'])} ${String(line['status'])}`,
    });
    log.info({ endpoint: 'demo-orders', status: 200 }, 'run recorded');
    log.warn({ endpoint: 'demo-orders' }, 'skipped a stale job');

    const [run, other] = text().trimEnd().split('\n');
    expect(run).toMatch(/ INFO: run demo-orders 200$/);
    expect(other).toMatch(/ WARN: skipped a stale job \{"endpoint":"demo-orders"\}$/);
  });

  it('keeps an error’s stack in a pretty line', () => {
    const { log, text } = capturePretty();
    log.error({ err: new Error('connection refused') }, 'queue error');

    expect(text()).toContain('ERROR: queue error');
    expect(text()).toContain('Error: connection refused');
    expect(text()).toMatch(/at .*logger\.unit\.test\.ts/);
  });
});
