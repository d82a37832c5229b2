import type { ASTNode, Environment, ParseResult } from '@marcbachmann/cel-js';
import { BoundedCache } from './bounded-cache.js';
import { expressionError, fromCelError } from './expression-error.js';
import type { Evaluated, ExpressionError } from './expression-error.js';
import { EXPRESSION_LIMITS } from './expression-limits.js';
import { structuralProblem } from './structure.js';

/** An expression that parsed, passed the limits and type-checked. */
export interface Compiled {
  readonly expression: string;
  readonly program: ParseResult;
  readonly ast: ASTNode;
  /** The CEL type the checker inferred, e.g. `bool`, `dyn`, `list<int>`. */
  readonly type: string;
}

/** A compiled expression, or why it was refused. */
export type Compilation = { ok: true; compiled: Compiled } | { ok: false; error: ExpressionError };

/** What an expression's static type must be; returns the refusal message, or null. */
export type TypeRule = (type: string) => string | null;

/** How many compiled expressions (and refusals) are kept, across every kind. */
export const COMPILE_CACHE_CAPACITY = 1000;

const cache = new BoundedCache<string, Compilation>(COMPILE_CACHE_CAPACITY);

const compileUncached = (env: Environment, expression: string, typeRule: TypeRule): Compilation => {
  const refuse = (position: number, message: string): Compilation => ({
    ok: false,
    error: expressionError(expression, position, message),
  });
  if (expression.length > EXPRESSION_LIMITS.maxLength) {
    return refuse(
      EXPRESSION_LIMITS.maxLength,
      `expression longer than ${EXPRESSION_LIMITS.maxLength} characters`,
    );
  }
  let program: ParseResult;
  try {
    program = env.parse(expression);
  } catch (error) {
    return { ok: false, error: fromCelError(expression, error) };
  }
  const problem = structuralProblem(program.ast);
  if (problem) return refuse(problem.position, problem.message);
  const checked = program.check();
  if (!checked.valid) return { ok: false, error: fromCelError(expression, checked.error) };
  const type = checked.type ?? 'dyn';
  const wrongType = typeRule(type);
  if (wrongType !== null) return refuse(program.ast.start, wrongType);
  return { ok: true, compiled: { expression, program, ast: program.ast, type } };
};

/**
 * Compiles `expression` in `env`, or returns the cached result. `kind` names the environment
 * (and for a fan-in its edge names): the same text compiles differently in each.
 */
export const compile = (
  kind: string,
  env: Environment,
  expression: string,
  typeRule: TypeRule,
): Compilation =>
  cache.getOrSet(`${kind}\u0000${expression}`, () => compileUncached(env, expression, typeRule));

/** Runs a compiled expression; a CEL error becomes an error value (positions moved by `offset`). */
export const run = (
  compiled: Compiled,
  context: Record<string, unknown>,
  errorExpression = compiled.expression,
  offset = 0,
): Evaluated<unknown> => {
  try {
    return { ok: true, value: compiled.program(context) as unknown };
  } catch (error) {
    return { ok: false, error: fromCelError(errorExpression, error, offset) };
  }
};

/** A {@link TypeRule} accepting `dyn` and the listed types. */
export const typeIn =
  (what: string, types: readonly string[]): TypeRule =>
  (type) =>
    type === 'dyn' || types.includes(type) ? null : `${what}, not ${type}`;
