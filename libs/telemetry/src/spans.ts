import { SpanStatusCode, type Span } from '@opentelemetry/api';

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
