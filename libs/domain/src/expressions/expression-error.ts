import { EXPRESSION_LIMITS } from './expression-limits.js';

/** Why an expression was refused or failed: where, and in one line what. */
export interface ExpressionError {
  /** The expression as given (for a template: the whole template text). */
  readonly expression: string;
  /** 0-based offset in the expression (or, for templates, in the whole template text). */
  readonly position: number;
  /** One line, no caret diagram, e.g. `no such overload: int + string`. */
  readonly message: string;
}

/** The outcome of evaluating an expression: its value, or why there is none. */
export type Evaluated<T> = { ok: true; value: T } | { ok: false; error: ExpressionError };

/** An {@link ExpressionError}. */
export const expressionError = (
  expression: string,
  position: number,
  message: string,
): ExpressionError => ({ expression, position, message });

/** A failed {@link Evaluated}. */
export const failed = <T>(error: ExpressionError): Evaluated<T> => ({ ok: false, error });

interface CelErrorShape {
  readonly code?: unknown;
  readonly summary?: unknown;
  readonly message?: unknown;
  readonly range?: { readonly start?: unknown };
  readonly node?: { readonly start?: unknown };
}

const LIMIT_MESSAGES: Readonly<Record<string, string>> = {
  maxAstNodes: `expression too large: more than ${EXPRESSION_LIMITS.maxAstNodes} nodes`,
  maxDepth: `expression nested too deeply: more than ${EXPRESSION_LIMITS.maxDepth} levels`,
};

const oneLine = (text: string): string => {
  const line = (text.split('\n')[0] ?? '').trim();
  return line.charAt(0).toLowerCase() + line.slice(1);
};

const messageOf = (error: CelErrorShape): string => {
  const summary = typeof error.summary === 'string' ? error.summary : undefined;
  const limit = /^Exceeded (\w+) /.exec(summary ?? '')?.[1];
  if (error.code === 'limit_exceeded' && limit !== undefined && LIMIT_MESSAGES[limit]) {
    return LIMIT_MESSAGES[limit];
  }
  return oneLine(summary ?? (typeof error.message === 'string' ? error.message : String(error)));
};

const startOf = (error: CelErrorShape): number => {
  const start = error.range?.start ?? error.node?.start;
  return typeof start === 'number' ? start : 0;
};

/**
 * The {@link ExpressionError} for an error the CEL library threw or reported (parse, type or
 * evaluation), its position moved by `offset` (a template part's offset in its text).
 */
export const fromCelError = (expression: string, error: unknown, offset = 0): ExpressionError => {
  const shape: CelErrorShape =
    typeof error === 'object' && error !== null ? error : { message: String(error) };
  return expressionError(expression, offset + startOf(shape), messageOf(shape));
};
