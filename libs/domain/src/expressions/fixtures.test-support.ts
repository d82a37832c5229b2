import type { CascadeInput, ResponseInput } from './inputs.js';

/** A 200 response with `body`; override any field. */
export const response = (
  body: unknown = {},
  overrides: Partial<ResponseInput> = {},
): ResponseInput => ({
  status: 200,
  ok: true,
  body,
  headers: { 'content-type': 'application/json' },
  durationMs: 42,
  ...overrides,
});

/** A cascade rooted at `run-root`. */
export const cascade = (overrides: Partial<CascadeInput> = {}): CascadeInput => ({
  root: 'run-root',
  depth: 1,
  correlation: null,
  ...overrides,
});

/** Freezes `value` and everything in it (to prove evaluation never mutates its inputs). */
export const deepFreeze = <T>(value: T): T => {
  if (typeof value === 'object' && value !== null) {
    Object.values(value).forEach(deepFreeze);
    Object.freeze(value);
  }
  return value;
};
