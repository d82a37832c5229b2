import {
  AnthropicError,
  APIConnectionError,
  APIConnectionTimeoutError,
  APIError,
  APIUserAbortError,
} from '@anthropic-ai/sdk';

/**
 * Why a model call failed, for the session record — or null when `error` is not the API's (a
 * bug of ours, which must not pass for an outage). The SDK has already retried what it retries:
 * 408, 409, 429 and 5xx (529 "overloaded" included), timeouts and connection errors.
 */
export function describeApiFailure(error: unknown, timeoutMs: number): string | null {
  if (error instanceof APIUserAbortError) return 'aborted';
  if (error instanceof APIConnectionTimeoutError) {
    return `model API timed out (no response within ${timeoutMs} ms)`;
  }
  if (error instanceof APIConnectionError) return `model API unreachable: ${error.message}`;
  if (error instanceof APIError) {
    const type = error.type ?? 'error';
    const message = error.apiMessage ?? error.message;
    return `model API error ${error.status ?? 'without status'} ${type}: ${message}`;
  }
  if (error instanceof AnthropicError) return `model API client error: ${error.message}`;
  return null;
}
