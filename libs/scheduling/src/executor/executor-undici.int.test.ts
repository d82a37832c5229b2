/** The executor's call under the undici instrumentation `startTelemetry` registers. */
import { context, createNoopMeter, propagation, trace } from '@opentelemetry/api';
import { AsyncLocalStorageContextManager } from '@opentelemetry/context-async-hooks';
import { W3CTraceContextPropagator } from '@opentelemetry/core';
import {
  BasicTracerProvider,
  InMemorySpanExporter,
  SimpleSpanProcessor,
} from '@opentelemetry/sdk-trace-base';
import { endpointStream, type QueuePayload, type QueuePort } from '@orrery/domain';
import { InMemoryEventStore } from '@orrery/event-store';
import { createUndiciInstrumentation, parseTraceparent } from '@orrery/telemetry';
import { startTargetServer, type TargetServer } from '@orrery/testkit';
import pino from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Executor } from './executor.js';

const TRACE_ID = '4bf92f3577b34da6a3ce929d0e0e4736';
const TRACEPARENT = `00-${TRACE_ID}-00f067aa0ba902b7-01`;

// What NodeSDK.start() registers: a context manager, the W3C propagator, a tracer provider.
const spans = new InMemorySpanExporter();
const provider = new BasicTracerProvider({ spanProcessors: [new SimpleSpanProcessor(spans)] });
const undici = createUndiciInstrumentation();
let target: TargetServer;

beforeAll(async () => {
  context.setGlobalContextManager(new AsyncLocalStorageContextManager().enable());
  propagation.setGlobalPropagator(new W3CTraceContextPropagator());
  undici.setTracerProvider(provider);
  undici.enable();
  target = await startTargetServer();
});
afterAll(async () => {
  undici.disable();
  context.disable();
  propagation.disable();
  await provider.shutdown();
  await target.close();
});

const job = (runId: string): QueuePayload<'execute'> => ({
  runId,
  endpointId: 'e1',
  tenantId: 't1',
  scheduledFor: new Date().toISOString(),
  dispatchedAt: new Date().toISOString(),
  leaseUntil: new Date(Date.now() + 60_000).toISOString(),
  attempt: 1,
  request: { method: 'POST', url: `${target.url}/hook/secret-token?key=s3cr3t`, headers: {} },
  timeoutMs: 5_000,
  responseCapBytes: 1024,
  traceparent: TRACEPARENT,
});

describe('the executor’s call with the undici instrumentation on', () => {
  it('the HTTP span nests under orrery.run.execute, and the target gets its traceparent, once', async () => {
    const store = new InMemoryEventStore();
    const executor = new Executor({
      store,
      queue: {} as QueuePort,
      log: pino({ level: 'silent' }),
      http: { allowLoopback: true },
      instrumentation: { tracer: provider.getTracer('orrery'), meter: createNoopMeter() },
    });
    await executor.execute(job('run-undici'));
    await executor.stop();

    const finished = spans.getFinishedSpans();
    const call = finished.find((s) => s.name === 'orrery.run.execute');
    const http = finished.find((s) => s.instrumentationScope.name.includes('undici'));
    expect(call?.spanContext().traceId).toBe(TRACE_ID);
    expect(http?.spanContext().traceId).toBe(TRACE_ID);
    expect(http?.parentSpanContext?.spanId).toBe(call?.spanContext().spanId);
    expect(http?.attributes).toMatchObject({
      'http.request.method': 'POST',
      'http.response.status_code': 200,
      'url.full': new URL(target.url).origin,
    });
    // The path and query may hold secrets: never on a span.
    expect(JSON.stringify(http?.attributes)).not.toMatch(/secret-token|s3cr3t/);

    // One traceparent (two would arrive joined by a comma and parse as none): the HTTP span's.
    const [request] = target.requests.filter((r) => r.headers['idempotency-key'] === 'run-undici');
    const sent = request?.headers['traceparent'];
    expect(typeof sent).toBe('string');
    const parsed = parseTraceparent(String(sent));
    expect(parsed?.traceId).toBe(TRACE_ID);
    expect(parsed?.spanId).toBe(http?.spanContext().spanId);

    // The log names the run's trace (the call span), as without the instrumentation.
    const [recorded] = await store.readStream(endpointStream('t1', 'e1'));
    expect(recorded?.metadata.traceparent).toBe(`00-${TRACE_ID}-${call?.spanContext().spanId}-01`);
  });

  it('a request outside any span makes no span and is sent as it was', async () => {
    spans.reset();
    const response = await fetch(`${target.url}/plain`, { headers: { 'idempotency-key': 'k2' } });
    await response.arrayBuffer();
    expect(spans.getFinishedSpans()).toEqual([]);
    expect(trace.getActiveSpan()).toBeUndefined();
    expect(target.traceparents.has('k2')).toBe(false);
  });
});
