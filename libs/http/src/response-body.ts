import type { Readable } from 'node:stream';

const KEPT_HEADERS = new Set([
  'content-type',
  'content-length',
  'retry-after',
  'cache-control',
  'etag',
  'last-modified',
  'x-request-id',
]);

/**
 * The subset of response headers worth recording: a fixed list plus
 * `ratelimit-*` and `x-ratelimit-*`. Names are lower-cased; repeated headers are
 * joined with `, `.
 */
export function pickHeaders(
  headers: Record<string, string | string[] | undefined>,
): Record<string, string> {
  const kept: Record<string, string> = {};
  for (const [rawName, value] of Object.entries(headers)) {
    const name = rawName.toLowerCase();
    const wanted =
      KEPT_HEADERS.has(name) || name.startsWith('ratelimit-') || name.startsWith('x-ratelimit-');
    if (!wanted || value === undefined) continue;
    kept[name] = Array.isArray(value) ? value.join(', ') : value;
  }
  return kept;
}

/** Bytes read from a body, at most the cap, and whether more was available. */
export interface CappedBody {
  readonly bytes: Buffer;
  readonly truncated: boolean;
}

/**
 * Reads `stream` until it ends or `capBytes` is exceeded; in the latter case it
 * keeps exactly `capBytes` and destroys the stream (which aborts the transfer)
 * without reading the rest. Errors from the stream (abort, reset) propagate,
 * with the bytes read so far attached as `partial`.
 */
export async function readCapped(stream: Readable, capBytes: number): Promise<CappedBody> {
  const chunks: Buffer[] = [];
  let size = 0;
  try {
    for await (const chunk of stream as AsyncIterable<Buffer>) {
      const room = capBytes - size;
      if (chunk.length > room) {
        if (room > 0) chunks.push(chunk.subarray(0, room));
        stream.destroy();
        return { bytes: Buffer.concat(chunks), truncated: true };
      }
      chunks.push(chunk);
      size += chunk.length;
    }
  } catch (error) {
    throw new PartialBodyError(error, { bytes: Buffer.concat(chunks), truncated: true });
  }
  return { bytes: Buffer.concat(chunks), truncated: false };
}

/** A body read that failed part-way; `partial` holds what arrived. */
export class PartialBodyError extends Error {
  constructor(
    override readonly cause: unknown,
    readonly partial: CappedBody,
  ) {
    super(cause instanceof Error ? cause.message : String(cause));
    this.name = 'PartialBodyError';
  }
}

function isJson(contentType: string | undefined): boolean {
  const type = contentType?.split(';')[0]?.trim().toLowerCase() ?? '';
  return type === 'application/json' || type.endsWith('+json');
}

/**
 * Decodes a body for recording: `null` when empty; parsed JSON when the
 * content type is JSON and the whole body arrived and parses; otherwise UTF-8
 * text (a multi-byte character cut by the cap is dropped, not mangled).
 */
export function decodeBody(body: CappedBody, contentType: string | undefined): unknown {
  if (body.bytes.length === 0) return null;
  const text = new TextDecoder('utf-8').decode(body.bytes, { stream: body.truncated });
  if (!body.truncated && isJson(contentType)) {
    try {
      return JSON.parse(text) as unknown;
    } catch {
      return text;
    }
  }
  return text;
}
