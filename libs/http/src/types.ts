/** Options for {@link createHttpCaller}. */
export interface HttpCallerOptions {
  /**
   * Allow targets on the operator's own host or networks: loopback, unspecified,
   * private (RFC 1918, unique local), link-local and CGNAT. Multicast, broadcast,
   * tunnel and reserved addresses stay refused (see `AddressPolicy`). Default false.
   */
  readonly allowPrivateNetworks?: boolean;
  /** Allow loopback targets only (127.0.0.0/8, ::1). Tests and dev set this. Default false. */
  readonly allowLoopback?: boolean;
  /** Pooled keep-alive connections per origin. Default 64. */
  readonly connections?: number;
  /** When set, each request carries an `Orrery-Signature` header (see `sign`). */
  readonly signingSecret?: string;
  /** `User-Agent` sent unless the request sets one. Default `orrery-executor/0.1`. */
  readonly userAgent?: string;
  /** Clock for `startedAt`/`finishedAt` and the signature timestamp, ms epoch. Default `Date.now`. */
  readonly now?: () => number;
}

/** One call to a target. */
export interface CallRequest {
  readonly method: string;
  readonly url: string;
  /**
   * Header names are case-insensitive; `Idempotency-Key`, `traceparent` and
   * `Orrery-Signature` are always set by the caller, and framing headers
   * (content-length, transfer-encoding, connection, …) are ignored.
   */
  readonly headers: Readonly<Record<string, string>>;
  readonly body?: string;
  /** Budget for the whole exchange: connect, headers and body. */
  readonly timeoutMs: number;
  /** Most body bytes kept; the transfer is aborted past this. */
  readonly responseCapBytes: number;
  /** Sent as `Idempotency-Key`. */
  readonly runId: string;
  /** W3C trace context, sent as `traceparent` when given. */
  readonly traceparent?: string;
}

/**
 * Why a call did not produce a complete response.
 * - `timeout`: the exchange did not finish within `timeoutMs`.
 * - `network`: DNS failure, connection refused or reset, invalid HTTP.
 * - `too_large`: the body exceeded `responseCapBytes` (the response itself was received).
 * - `refused`: the target is not allowed (address policy or URL scheme).
 * - `internal`: anything else, e.g. an invalid URL or header value.
 */
export interface CallError {
  readonly kind: 'timeout' | 'network' | 'too_large' | 'refused' | 'internal';
  readonly message: string;
}

/** The recorded result of a call. Target failures are outcomes, never exceptions. */
export interface CallOutcome {
  /** ms epoch, from the injected clock. */
  readonly startedAt: number;
  readonly finishedAt: number;
  readonly durationMs: number;
  /** HTTP status, or null when no response head arrived. */
  readonly status: number | null;
  /**
   * True for a 2xx status whose exchange completed. A body cut at the cap
   * (`too_large`) still counts; a timeout or reset during the body does not.
   */
  readonly ok: boolean;
  /** Lower-cased subset: content-type, content-length, retry-after, cache-control, etag, last-modified, x-request-id, ratelimit-*, x-ratelimit-*. */
  readonly headers: Record<string, string>;
  /** Parsed JSON when complete and JSON; otherwise text (possibly truncated); null when empty. */
  readonly body: unknown;
  readonly bodyTruncated: boolean;
  readonly error?: CallError;
}

/** A pooled caller; `close` waits for in-flight calls and closes idle sockets. */
export interface HttpCaller {
  call(request: CallRequest): Promise<CallOutcome>;
  close(): Promise<void>;
}
