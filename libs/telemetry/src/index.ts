export {
  DURATION_BUCKETS_S,
  globalInstrumentation,
  INSTRUMENTATION_SCOPE,
  noopInstrumentation,
  seconds,
  SIZE_BUCKETS,
  type Instrumentation,
} from './instrumentation.js';
export {
  contextFromTraceparent,
  formatTraceparent,
  newTraceparent,
  outgoingTraceparent,
  parseTraceparent,
  traceLogFields,
} from './trace-context.js';
export { endSpan, errorType, withSpan } from './spans.js';
// The span kinds components mark their spans with (the API's own enum).
export { SpanKind } from '@opentelemetry/api';
export { PROCESSOR_ATTRIBUTES, PROCESSOR_METRICS, ProcessorMetrics } from './processor-metrics.js';
export { addLinks, contextOf, linkTo, TRACE_ATTRIBUTES } from './trace-attributes.js';
export {
  createUndiciInstrumentation,
  startTelemetry,
  telemetrySignals,
  type TelemetryOptions,
  type TelemetryShutdown,
} from './sdk.js';
