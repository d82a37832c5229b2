import type { FastifyRequest } from 'fastify';
import { ProblemError } from './problem.js';

// A NUL cannot be stored in Postgres text, and a lone surrogate is not text at all.
// eslint-disable-next-line no-control-regex -- NUL is exactly what this refuses
const FORBIDDEN = /\u0000|[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/;

function findBadString(value: unknown, path: string[], depth = 0): string[] | null {
  if (typeof value === 'string') return FORBIDDEN.test(value) ? path : null;
  if (depth > 64 || value === null || typeof value !== 'object') return null;
  for (const [key, child] of Object.entries(value)) {
    if (FORBIDDEN.test(key)) return [...path, key];
    const found = findBadString(child, [...path, key], depth + 1);
    if (found) return found;
  }
  return null;
}

/**
 * Refuses input that no schema can express but the database would choke on:
 * NUL characters and unpaired UTF-16 surrogates, anywhere in the params,
 * query string or body (keys included), naming the field.
 */
export async function guardInput(request: FastifyRequest): Promise<void> {
  for (const [part, value] of [
    ['params', request.params],
    ['querystring', request.query],
    ['body', request.body],
  ] as const) {
    const path = findBadString(value, [part]);
    if (path) {
      const field = path.join('.');
      throw new ProblemError('validation', `${field}: contains a NUL or an unpaired surrogate`, [
        { field, message: 'contains a NUL or an unpaired surrogate' },
      ]);
    }
  }
}
