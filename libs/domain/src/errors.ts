/**
 * Coded domain errors. Expected failures of a command (bad input, unknown
 * entity, a state that forbids the command) are values, not exceptions; the
 * edges map the code to a transport status in one place (validation → 400,
 * not_found → 404, conflict → 409, precondition → 412, unprocessable → 422: a well-formed
 * request that cannot be carried out — an expression that does not compile, an edge that
 * closes a cycle).
 */
export type DomainErrorCode =
  'validation' | 'not_found' | 'conflict' | 'precondition' | 'unprocessable';

export interface DomainError {
  readonly code: DomainErrorCode;
  readonly message: string;
  /** Dotted path of the offending field, when one field is to blame. */
  readonly field?: string;
  readonly details?: Readonly<Record<string, unknown>>;
}

export type Result<T, E = DomainError> =
  { readonly ok: true; readonly value: T } | { readonly ok: false; readonly error: E };

export const ok = <T>(value: T): Result<T, never> => ({ ok: true, value });
export const fail = (
  code: DomainErrorCode,
  message: string,
  extra: { field?: string; details?: Record<string, unknown> } = {},
): Result<never> => ({ ok: false, error: { code, message, ...extra } });
