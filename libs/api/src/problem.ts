import type { DomainError, DomainErrorCode } from '@orrery/domain';

/** Stable problem types (RFC 9457 `type`, relative URIs) and their HTTP status. */
export const problemTypes = {
  validation: { status: 400, title: 'Invalid request' },
  unauthorized: { status: 401, title: 'Authentication required' },
  forbidden: { status: 403, title: 'Not allowed' },
  not_found: { status: 404, title: 'Not found' },
  method_not_allowed: { status: 405, title: 'Method not allowed' },
  conflict: { status: 409, title: 'Conflict' },
  precondition: { status: 412, title: 'Precondition failed' },
  payload_too_large: { status: 413, title: 'Payload too large' },
  unsupported_media_type: { status: 415, title: 'Unsupported media type' },
  unprocessable: { status: 422, title: 'Unprocessable request' },
  rate_limited: { status: 429, title: 'Too many requests' },
  internal: { status: 500, title: 'Internal error' },
  unavailable: { status: 503, title: 'Unavailable' },
} as const;

export type ProblemCode = keyof typeof problemTypes;

export interface Problem {
  type: string;
  title: string;
  status: number;
  detail: string;
  instance?: string;
  /** For validation problems: the offending fields, as dotted paths. */
  errors?: { field: string; message: string }[];
  /** For a proposal the arbiter refused (409): the rule, and the decision that won. */
  refusal?: Refusal;
}

/** An arbiter's refusal, as a 409 problem carries it (the `HintRejected` event's words). */
export interface Refusal {
  proposalId: string;
  rule: string;
  detail: string;
  winner?: {
    kind: 'hint' | 'pause';
    hintId?: string | undefined;
    source?: string | undefined;
    until?: string | null | undefined;
  };
  cooldownUntil?: string;
}

/** An error the API answers as problem JSON. Throw it from handlers; the error handler maps it. */
export class ProblemError extends Error {
  constructor(
    readonly code: ProblemCode,
    detail: string,
    readonly errors?: { field: string; message: string }[],
    /** A conflict that is an arbiter's refusal: answered as the problem's `refusal`. */
    readonly refusal?: Refusal,
  ) {
    super(detail);
  }
}

export const problemType = (code: ProblemCode) => `/problems/${code.replaceAll('_', '-')}`;

export function problem(code: ProblemCode, detail: string, extra: Partial<Problem> = {}): Problem {
  const { status, title } = problemTypes[code];
  return { type: problemType(code), title, status, detail, ...extra };
}

/**
 * A domain error (a refused command) as a ProblemError: validation 400, not_found 404, … The
 * field it blames — or, for a conflict with what exists, each field that differs
 * (`details.differs`) — is named in `errors`, as `fieldOf` spells it in the request (by default
 * as the domain does).
 */
export function fromDomainError(
  error: DomainError,
  fieldOf: (path: string) => string = (path) => path,
): ProblemError {
  const code: Record<DomainErrorCode, ProblemCode> = {
    validation: 'validation',
    not_found: 'not_found',
    conflict: 'conflict',
    precondition: 'precondition',
    unprocessable: 'unprocessable',
  };
  const differs = error.details?.['differs'];
  const errors = Array.isArray(differs)
    ? differs.map((path) => ({
        field: fieldOf(String(path)),
        message: 'differs from what exists under this id',
      }))
    : error.field
      ? [{ field: fieldOf(error.field), message: error.message }]
      : undefined;
  return new ProblemError(code[error.code], error.message, errors);
}
