import { AddressRefusedError } from './guarded-connect.js';
import type { CallError } from './types.js';

const TIMEOUT_CODES = new Set([
  'UND_ERR_CONNECT_TIMEOUT',
  'UND_ERR_HEADERS_TIMEOUT',
  'UND_ERR_BODY_TIMEOUT',
  'ETIMEDOUT',
]);

const NETWORK_CODES = new Set([
  'UND_ERR_SOCKET',
  'UND_ERR_CLOSED',
  'UND_ERR_RES_CONTENT_LENGTH_MISMATCH',
]);

/** The error itself, its `cause` chain and the members of an AggregateError. */
function* related(error: unknown, depth = 0): Generator<unknown> {
  if (depth > 5 || error === null || error === undefined) return;
  yield error;
  if (error instanceof AggregateError) {
    for (const inner of error.errors) yield* related(inner, depth + 1);
  }
  if (error instanceof Error) yield* related(error.cause, depth + 1);
}

function codeOf(error: unknown): string | undefined {
  if (typeof error !== 'object' || error === null || !('code' in error)) return undefined;
  return typeof error.code === 'string' ? error.code : undefined;
}

function messageOf(error: unknown): string {
  const code = codeOf(error);
  const message = error instanceof Error ? error.message : String(error);
  return code !== undefined && !message.includes(code) ? `${code}: ${message}` : message;
}

/**
 * Maps a thrown error to a recorded {@link CallError}. `timedOut` wins: once
 * the call's own deadline fired, whatever undici reports is a consequence.
 */
export function classifyError(error: unknown, timedOut: boolean, timeoutMs: number): CallError {
  if (timedOut) return { kind: 'timeout', message: `no complete response within ${timeoutMs} ms` };
  for (const e of related(error)) {
    if (e instanceof AddressRefusedError) return { kind: 'refused', message: e.message };
  }
  for (const e of related(error)) {
    const code = codeOf(e);
    if (code === undefined) continue;
    if (TIMEOUT_CODES.has(code)) return { kind: 'timeout', message: messageOf(e) };
    // System errors (ECONNREFUSED, ENOTFOUND, ECONNRESET, …) and HTTP parse errors.
    const system = /^E[A-Z]+$/.test(code) || code.startsWith('EAI_');
    if (NETWORK_CODES.has(code) || system || code.startsWith('HPE_')) {
      return { kind: 'network', message: messageOf(e) };
    }
  }
  return { kind: 'internal', message: messageOf(error) };
}
