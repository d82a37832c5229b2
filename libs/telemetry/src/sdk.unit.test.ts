import { metrics, trace } from '@opentelemetry/api';
import { describe, expect, it } from 'vitest';
import { startTelemetry, telemetrySignals } from './sdk.js';

describe('telemetrySignals: which signals the OTEL_* variables turn on', () => {
  it.each([
    ['nothing set', {}, { traces: false, metrics: false }],
    [
      'an OTLP endpoint',
      { OTEL_EXPORTER_OTLP_ENDPOINT: 'http://c:4318' },
      { traces: true, metrics: true },
    ],
    [
      'a traces endpoint only',
      { OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: 'http://c:4318/v1/traces' },
      { traces: true, metrics: false },
    ],
    [
      'a metrics exporter only',
      { OTEL_METRICS_EXPORTER: 'prometheus' },
      { traces: false, metrics: true },
    ],
    [
      'an endpoint, traces none',
      { OTEL_EXPORTER_OTLP_ENDPOINT: 'http://c:4318', OTEL_TRACES_EXPORTER: 'none' },
      { traces: false, metrics: true },
    ],
    ['an empty endpoint', { OTEL_EXPORTER_OTLP_ENDPOINT: ' ' }, { traces: false, metrics: false }],
    [
      'OTEL_SDK_DISABLED',
      { OTEL_EXPORTER_OTLP_ENDPOINT: 'http://c:4318', OTEL_SDK_DISABLED: 'true' },
      { traces: false, metrics: false },
    ],
  ])('%s', (_label, env, expected) => {
    expect(telemetrySignals(env)).toEqual(expected);
  });

  it('with nothing set, no SDK starts: the global tracer and meter stay no-ops', async () => {
    const shutdown = startTelemetry({ serviceName: 'orrery-test', env: {} });
    const span = trace.getTracer('t').startSpan('x');
    expect(span.isRecording()).toBe(false);
    span.end();
    expect(metrics.getMeterProvider().constructor.name).toBe('NoopMeterProvider');
    await expect(shutdown()).resolves.toBeUndefined();
  });
});
