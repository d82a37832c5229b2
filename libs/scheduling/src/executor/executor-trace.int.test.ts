/** The `traceparent` a target receives from the executor, with no tracer and with a recording one. */
import { createServer, type IncomingHttpHeaders } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Writable } from 'node:stream';
import { endpointStream, type QueuePayload, type QueuePort } from '@orrery/domain';
import { InMemoryEventStore } from '@orrery/event-store';
import { MemoryTelemetry } from '@orrery/testkit';
import type { Instrumentation } from '@orrery/telemetry';
import pino from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { EXECUTOR_METRICS } from './executor-metrics.js';
import { Executor } from './executor.js';

const TRACE_ID = '4bf92f3577b34da6a3ce929d0e0e4736';
const PARENT_SPAN = '00f067aa0ba902b7';
const TRACEPARENT = `00-${TRACE_ID}-${PARENT_SPAN}-01`;

const seen: IncomingHttpHeaders[] = [];
const target = createServer((req, res) => {
  seen.push(req.headers);
  res.writeHead(200, { 'content-type': 'application/json' }).end('{}');
});
let url = '';
beforeAll(async () => {
  await new Promise<void>((resolve) => target.listen(0, '127.0.0.1', resolve));
  url = `http://127.0.0.1:${(target.address() as AddressInfo).port}/hook`;
});
afterAll(() => new Promise<void>((resolve) => target.close(() => resolve())));

const job = (runId: string): QueuePayload<'execute'> => ({
  runId,
  endpointId: 'e1',
  tenantId: 't1',
  scheduledFor: new Date().toISOString(),
  dispatchedAt: new Date().toISOString(),
  leaseUntil: new Date(Date.now() + 60_000).toISOString(),
  attempt: 1,
  request: { method: 'POST', url, headers: {} },
  timeoutMs: 5_000,
  responseCapBytes: 1024,
  traceparent: TRACEPARENT,
});

/** Runs one job through a real executor; the target's headers, the recorded event, the log. */
async function run(runId: string, instrumentation?: Instrumentation) {
  const store = new InMemoryEventStore();
  const lines: Record<string, unknown>[] = [];
  const sink = new Writable({
    write(chunk: Buffer, _encoding, done) {
      for (const line of chunk.toString().split('\n').filter(Boolean))
        lines.push(JSON.parse(line) as Record<string, unknown>);
      done();
    },
  });
  const executor = new Executor({
    store,
    queue: {} as QueuePort,
    log: pino({ level: 'info' }, sink),
    runLogLevel: 'info',
    http: { allowLoopback: true },
    ...(instrumentation ? { instrumentation } : {}),
  });
  await executor.execute(job(runId));
  await executor.stop();
  const [recorded] = await store.readStream(endpointStream('t1', 'e1'));
  const headers = seen.find((h) => h['idempotency-key'] === runId);
  const logged = lines.find((l) => l['msg'] === 'run recorded' && l['run'] === runId);
  return { headers, recorded, logged };
}

describe('trace context through the executor', () => {
  it('without a tracer, the target and the log get the job’s traceparent unchanged', async () => {
    const { headers, recorded, logged } = await run('run-noop');
    expect(headers?.['traceparent']).toBe(TRACEPARENT);
    expect(recorded?.metadata.traceparent).toBe(TRACEPARENT);
    // The run's log line names the same trace and span, so it finds the target's logs.
    expect(logged).toMatchObject({ trace_id: TRACE_ID, span_id: PARENT_SPAN, trace_flags: '01' });
  });

  it('with a recording tracer, the call is a span under the job’s trace and the target its child', async () => {
    const telemetry = new MemoryTelemetry();
    const { headers, recorded, logged } = await run('run-traced', telemetry.instrumentation);
    const span = telemetry.spans().find((s) => s.name === 'orrery.run.execute');
    expect(span?.spanContext().traceId).toBe(TRACE_ID);
    expect(span?.parentSpanContext?.spanId).toBe(PARENT_SPAN);
    expect(span?.attributes).toMatchObject({
      'orrery.run.id': 'run-traced',
      'http.response.status_code': 200,
    });
    const sent = `00-${TRACE_ID}-${span?.spanContext().spanId}-01`;
    expect(headers?.['traceparent']).toBe(sent);
    expect(recorded?.metadata.traceparent).toBe(sent);
    expect(logged).toMatchObject({ trace_id: TRACE_ID, span_id: span?.spanContext().spanId });
    const figures = await telemetry.totals();
    expect(figures.sum(EXECUTOR_METRICS.recordedRuns, { 'orrery.run.ok': true })).toBe(1);
    expect(figures.histogram(EXECUTOR_METRICS.runDuration).count).toBe(1);
    await telemetry.shutdown();
  });
});
