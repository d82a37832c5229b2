import { trace } from '@opentelemetry/api';
import { describe, expect, it } from 'vitest';
import { noopInstrumentation } from './instrumentation.js';
import {
  contextFromTraceparent,
  formatTraceparent,
  parseTraceparent,
  traceLogFields,
} from './trace-context.js';

const TP = '00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01';

describe('traceparent', () => {
  it('reads a W3C traceparent and writes it back unchanged', () => {
    const context = parseTraceparent(TP);
    expect(context).toMatchObject({
      traceId: '4bf92f3577b34da6a3ce929d0e0e4736',
      spanId: '00f067aa0ba902b7',
      traceFlags: 1,
      isRemote: true,
    });
    expect(context && formatTraceparent(context)).toBe(TP);
  });

  it.each([
    ['garbage', 'not-a-traceparent'],
    ['all-zero trace id', '00-00000000000000000000000000000000-00f067aa0ba902b7-01'],
    ['all-zero span id', '00-4bf92f3577b34da6a3ce929d0e0e4736-0000000000000000-01'],
    ['version ff', 'ff-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01'],
    ['extra fields on version 00', `${TP}-extra`],
  ])('refuses %s', (_label, value) => {
    expect(parseTraceparent(value)).toBeUndefined();
  });

  it('reads upper case and surrounding spaces as the same context', () => {
    expect(parseTraceparent(`  ${TP.toUpperCase()} `)).toEqual(parseTraceparent(TP));
    expect(parseTraceparent(TP.replace(/-01$/, '-00'))?.traceFlags).toBe(0);
  });

  it.each([
    ['all-zero trace id', '00-00000000000000000000000000000000-00F067AA0BA902B7-01'],
    ['non-hex span id', '00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902bz-01'],
    ['a short trace id', '00-4bf92f3577b34da6a3ce929d0e0e473-00f067aa0ba902b7-01'],
  ])('refuses %s outside the canonical form too', (_label, value) => {
    expect(parseTraceparent(value)).toBeUndefined();
  });

  it('reads a later version by its version-00 fields', () => {
    const later = '01-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01-future';
    expect(parseTraceparent(later)?.spanId).toBe('00f067aa0ba902b7');
  });

  it('a no-op span started under a traceparent carries that same traceparent on', () => {
    const span = noopInstrumentation.tracer.startSpan('x', {}, contextFromTraceparent(TP));
    expect(formatTraceparent(span.spanContext())).toBe(TP);
    expect(span.isRecording()).toBe(false);
  });

  it('without a traceparent, a no-op span has no valid context to propagate', () => {
    const span = noopInstrumentation.tracer.startSpan('x', {}, contextFromTraceparent(undefined));
    expect(trace.isSpanContextValid(span.spanContext())).toBe(false);
  });

  it('gives a log line the ids of a traceparent, as the logger writes them, and none of a bad one', () => {
    const value = '00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01';
    expect(traceLogFields(value)).toEqual({
      trace_id: '4bf92f3577b34da6a3ce929d0e0e4736',
      span_id: '00f067aa0ba902b7',
      trace_flags: '01',
    });
    expect(traceLogFields(undefined)).toEqual({});
    expect(traceLogFields('00-00000000000000000000000000000000-00f067aa0ba902b7-01')).toEqual({});
  });
});
