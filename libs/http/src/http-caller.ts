import { Agent } from 'undici';
import { classifyError } from './classify-error.js';
import { createGuardedConnector } from './guarded-connect.js';
import { PartialBodyError, decodeBody, pickHeaders, readCapped } from './response-body.js';
import { signatureHeader } from './signature.js';
import type {
  CallError,
  CallOutcome,
  CallRequest,
  HttpCaller,
  HttpCallerOptions,
} from './types.js';

/** Headers that describe framing; undici sets them itself and user values would corrupt it. */
const FRAMING_HEADERS = new Set([
  'content-length',
  'transfer-encoding',
  'connection',
  'keep-alive',
  'upgrade',
  'expect',
]);

type Result = Omit<CallOutcome, 'startedAt' | 'finishedAt' | 'durationMs'>;

const failure = (error: CallError, status: number | null = null): Result => ({
  status,
  ok: false,
  headers: {},
  body: null,
  bodyTruncated: false,
  error,
});

/** Rejects with the signal's reason when it aborts (undici only honours aborts once a request is written). */
function untilAborted(signal: AbortSignal): Promise<never> {
  return new Promise((_, reject) => {
    signal.addEventListener('abort', () => reject(signal.reason as Error), { once: true });
  });
}

/**
 * Creates the executor's HTTP caller: one pooled keep-alive undici `Agent`
 * for all calls, an SSRF guard on the resolved address at connect time, and
 * outcomes instead of exceptions for everything a target can do wrong.
 *
 * Each request carries `Idempotency-Key: <runId>`, `traceparent` when given,
 * and `Orrery-Signature` when `signingSecret` is set (scheme: see `sign`).
 * Redirects are not followed: a 3xx is recorded as it is (`ok: false`).
 *
 * @example
 * const caller = createHttpCaller({ signingSecret: process.env.SIGNING_SECRET });
 * const outcome = await caller.call({
 *   method: 'POST', url: 'https://api.example/sync', headers: {}, body: '{}',
 *   timeoutMs: 10_000, responseCapBytes: 64 * 1024, runId: 'run-1',
 * });
 * await caller.close();
 */
export function createHttpCaller(options: HttpCallerOptions = {}): HttpCaller {
  const now = options.now ?? Date.now;
  const userAgent = options.userAgent ?? 'orrery-executor/0.1';
  const agent = new Agent({
    connections: options.connections ?? 64,
    connect: createGuardedConnector({
      allowLoopback: options.allowLoopback ?? false,
      allowPrivateNetworks: options.allowPrivateNetworks ?? false,
    }),
    // The per-call deadline covers headers and body; undici's own timers would only add a second, longer one.
    headersTimeout: 0,
    bodyTimeout: 0,
  });

  function requestHeaders(request: CallRequest, method: string, href: string) {
    const headers: Record<string, string> = { 'user-agent': userAgent };
    for (const [name, value] of Object.entries(request.headers)) {
      const lower = name.toLowerCase();
      if (!FRAMING_HEADERS.has(lower)) headers[lower] = value;
    }
    headers['idempotency-key'] = request.runId;
    if (request.traceparent !== undefined) headers['traceparent'] = request.traceparent;
    if (options.signingSecret !== undefined) {
      const t = Math.floor(now() / 1000);
      headers['orrery-signature'] = signatureHeader(
        options.signingSecret,
        t,
        method,
        href,
        request.body,
      );
    }
    return headers;
  }

  async function exchange(request: CallRequest): Promise<Result> {
    let url: URL;
    try {
      url = new URL(request.url);
    } catch {
      return failure({ kind: 'internal', message: `invalid URL: ${request.url}` });
    }
    if (url.protocol !== 'http:' && url.protocol !== 'https:') {
      return failure({ kind: 'refused', message: `scheme ${url.protocol} is not allowed` });
    }
    const method = request.method.toUpperCase();
    const controller = new AbortController();
    let timedOut = false;
    const timer = setTimeout(() => {
      timedOut = true;
      controller.abort(new Error(`timed out after ${request.timeoutMs} ms`));
    }, request.timeoutMs);
    let status: number | null = null;
    let headers: Record<string, string> = {};
    try {
      const pending = agent.request({
        origin: url.origin,
        path: `${url.pathname}${url.search}`,
        method,
        headers: requestHeaders(request, method, url.href),
        body: request.body ?? null,
        signal: controller.signal,
      });
      // If the deadline wins, release whatever the request produces later.
      pending.then(
        (late) => timedOut && late.body.destroy(),
        () => undefined,
      );
      const response = await Promise.race([pending, untilAborted(controller.signal)]);
      status = response.statusCode;
      headers = pickHeaders(response.headers);
      const body = await readCapped(response.body, request.responseCapBytes);
      const tooLarge: CallError = {
        kind: 'too_large',
        message: `response body exceeded ${request.responseCapBytes} bytes; kept the first ${request.responseCapBytes}`,
      };
      return {
        status,
        ok: status >= 200 && status < 300,
        headers,
        body: decodeBody(body, headers['content-type']),
        bodyTruncated: body.truncated,
        ...(body.truncated ? { error: tooLarge } : {}),
      };
    } catch (error) {
      const partial = error instanceof PartialBodyError ? error.partial : undefined;
      const cause = error instanceof PartialBodyError ? error.cause : error;
      return {
        ...failure(classifyError(cause, timedOut, request.timeoutMs), status),
        headers,
        body: partial === undefined ? null : decodeBody(partial, headers['content-type']),
        bodyTruncated: partial !== undefined,
      };
    } finally {
      clearTimeout(timer);
    }
  }

  return {
    async call(request) {
      const startedAt = now();
      let result: Result;
      try {
        result = await exchange(request);
      } catch (error) {
        // A defect in this module, not a target failure: still an outcome.
        result = failure({ kind: 'internal', message: String(error) });
      }
      const finishedAt = now();
      return { startedAt, finishedAt, durationMs: Math.max(0, finishedAt - startedAt), ...result };
    },
    close: () => agent.close(),
  };
}
