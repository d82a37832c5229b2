import { createHmac, timingSafeEqual } from 'node:crypto';

/** Name of the request header carrying the signature. */
export const SIGNATURE_HEADER = 'Orrery-Signature';

/**
 * The HMAC-SHA256 signature of one request, as lowercase hex.
 *
 * Scheme (v1): the signed payload is `<t>.<METHOD>.<url>.<body>` where `t` is
 * the unix time in whole seconds, `METHOD` is upper-cased, `url` is the
 * normalised absolute URL (`new URL(url).href`, which is what the request is
 * sent to) and `body` is the raw request body (empty string when there is
 * none). The header is `Orrery-Signature: t=<t>,v1=<hex>`.
 *
 * A receiver rebuilds the URL it was configured with (or scheme + Host + path),
 * calls {@link verifySignature}, and rejects timestamps outside its tolerance
 * to limit replay. Pure: the timestamp is an input.
 *
 * @example sign('s3cret', 1700000000, 'POST', 'https://a.example/hook', '{}')
 */
export function sign(
  secret: string,
  timestampSec: number,
  method: string,
  url: string,
  body: string | undefined,
): string {
  const payload = `${timestampSec}.${method.toUpperCase()}.${url}.${body ?? ''}`;
  return createHmac('sha256', secret).update(payload, 'utf8').digest('hex');
}

/** The full header value, `t=<timestampSec>,v1=<hex>`. */
export function signatureHeader(
  secret: string,
  timestampSec: number,
  method: string,
  url: string,
  body: string | undefined,
): string {
  return `t=${timestampSec},v1=${sign(secret, timestampSec, method, url, body)}`;
}

/** What a receiver checks. `nowSec` is an input so verification is pure too. */
export interface VerifyInput {
  readonly secret: string;
  /** The `Orrery-Signature` header value. */
  readonly header: string | undefined;
  readonly method: string;
  readonly url: string;
  readonly body: string | undefined;
  /** The receiver's clock, unix seconds. */
  readonly nowSec: number;
  /** Largest accepted |nowSec - t|. Default 300 seconds. */
  readonly toleranceSec?: number;
}

export type VerifyResult =
  | { readonly valid: true; readonly timestampSec: number }
  | { readonly valid: false; readonly reason: 'malformed' | 'stale' | 'mismatch' };

/**
 * Verifies an `Orrery-Signature` header (constant-time comparison). Refuses a
 * malformed header, a timestamp outside the tolerance, or a wrong signature.
 */
export function verifySignature(input: VerifyInput): VerifyResult {
  const match = /^t=(\d+),v1=([0-9a-f]{64})$/.exec(input.header?.trim() ?? '');
  const [, t, given] = match ?? [];
  if (t === undefined || given === undefined) return { valid: false, reason: 'malformed' };
  const timestampSec = Number(t);
  if (Math.abs(input.nowSec - timestampSec) > (input.toleranceSec ?? 300)) {
    return { valid: false, reason: 'stale' };
  }
  const expected = sign(input.secret, timestampSec, input.method, input.url, input.body);
  const same = timingSafeEqual(Buffer.from(expected, 'hex'), Buffer.from(given, 'hex'));
  return same ? { valid: true, timestampSec } : { valid: false, reason: 'mismatch' };
}
