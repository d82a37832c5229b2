/**
 * What tracing off costs per span, timed directly: a no-op tracer's work for one span as the
 * pipeline does it — its attributes object built, `startSpan` under a parent context, two
 * attributes set, made the active context for a callback, ended. The pipeline cannot be run
 * without its span calls, so this, times the spans a run makes (counted in the sampled mode),
 * bounds what tracing off costs a run.
 */
import { context, ROOT_CONTEXT, SpanKind, trace, type Tracer } from '@opentelemetry/api';
import { performance } from 'node:perf_hooks';

export interface NoopSpanCost {
  /** ns per span: median of the repetitions. */
  readonly nsPerSpan: number;
  readonly spansPerRepetition: number;
  readonly repetitions: number;
}

export function timeNoopSpans(tracer: Tracer, spans = 200_000, repetitions = 7): NoopSpanCost {
  const parent = trace.setSpan(ROOT_CONTEXT, tracer.startSpan('parent'));
  let sink = 0;
  const one = (i: number) => {
    const span = tracer.startSpan(
      'orrery.run.execute',
      {
        kind: SpanKind.CLIENT,
        attributes: {
          'orrery.tenant.id': 'bench',
          'orrery.endpoint.id': `b${i & 1023}`,
          'orrery.run.id': 'r',
          'orrery.run.attempt': 1,
          'http.request.method': 'GET',
          'server.address': '127.0.0.1',
        },
      },
      parent,
    );
    span.setAttribute('http.response.status_code', 200);
    span.setAttribute('orrery.run.stale', false);
    sink += context.with(trace.setSpan(ROOT_CONTEXT, span), () => i & 1);
    span.end();
  };
  for (let i = 0; i < spans; i += 1) one(i); // warm up (JIT)
  const ns: number[] = [];
  for (let r = 0; r < repetitions; r += 1) {
    const started = performance.now();
    for (let i = 0; i < spans; i += 1) one(i);
    ns.push(((performance.now() - started) * 1e6) / spans);
  }
  if (sink < 0) console.log(sink); // keep the work observable
  ns.sort((x, y) => x - y);
  return {
    nsPerSpan: ns[Math.floor(ns.length / 2)] ?? 0,
    spansPerRepetition: spans,
    repetitions,
  };
}
