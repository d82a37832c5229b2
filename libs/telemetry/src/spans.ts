import { context, SpanStatusCode, trace, type Span } from '@opentelemetry/api';

/** The `error.type` attribute value of a failure (OpenTelemetry semantic conventions). */
export function errorType(error: unknown): string {
  if (error instanceof Error) {
    const code = (error as { code?: unknown }).code;
    return typeof code === 'string' && code !== '' ? code : error.name;
  }
  return '_OTHER';
}

/** Ends a span, marking it failed with the exception when `error` is given. */
export function endSpan(span: Span, error?: unknown): void {
  if (error !== undefined) {
    span.recordException(error instanceof Error ? error : String(error));
    span.setAttribute('error.type', errorType(error));
    span.setStatus({
      code: SpanStatusCode.ERROR,
      message: error instanceof Error ? error.message : String(error),
    });
  }
  span.end();
}

/**
 * Runs `fn` with `span` active, so spans started inside it (through any tracer, with no parent
 * given) are its children — across awaits when a context manager is registered (the SDK
 * registers one), else only in `fn`'s synchronous part.
 */
export function withSpan<T>(span: Span, fn: () => T): T {
  return context.with(trace.setSpan(context.active(), span), fn);
}
