import { compile, run, typeIn } from './compile.js';
import { conditionEnvironment } from './environments.js';
import { expressionError, failed } from './expression-error.js';
import type { Evaluated, ExpressionError } from './expression-error.js';
import { responseVariables, upstreamValue } from './inputs.js';
import type { ResponseInput } from './inputs.js';
import { celTypeName } from './values.js';

const compileCondition = (expression: string) =>
  compile(
    'condition',
    conditionEnvironment,
    expression,
    typeIn('a condition must be a bool', ['bool']),
  );

/**
 * Checks a condition: a CEL `bool` over one upstream response. Its variables are `status`
 * (int; 0 when there was no HTTP answer), `ok` (bool), `body` (dyn: the parsed JSON or the text),
 * `headers` (map<string, string>, lower-case names), `durationMs` (double) and `upstream`
 * (edge name → `{status, ok, body, headers, durationMs}`). A `dyn` result is accepted here and
 * must be a bool when evaluated.
 *
 * @returns null when valid, else the error with its position.
 * @example checkCondition('status >= 200 && status < 300') // null
 * @example checkCondition('status == 200 &&') // { position: 16, message: 'unexpected token: EOF', … }
 */
export function checkCondition(expression: string): ExpressionError | null {
  const compiled = compileCondition(expression);
  return compiled.ok ? null : compiled.error;
}

/**
 * Evaluates a condition over `response` (and the other upstream responses by edge name). A
 * refused expression, a CEL error (`no such key: ready`) or a result that is not a bool is an
 * error value, never a throw.
 *
 * @example evaluateCondition('body.status == "complete"', response) // { ok: true, value: true }
 */
export function evaluateCondition(
  expression: string,
  response: ResponseInput,
  upstream: Readonly<Record<string, ResponseInput>> = {},
): Evaluated<boolean> {
  const compiled = compileCondition(expression);
  if (!compiled.ok) return compiled;
  const result = run(compiled.compiled, {
    ...responseVariables(response),
    upstream: upstreamValue(upstream),
  });
  if (!result.ok) return result;
  if (typeof result.value === 'boolean') return { ok: true, value: result.value };
  return failed(
    expressionError(
      expression,
      compiled.compiled.ast.start,
      `a condition must be a bool, not ${celTypeName(result.value)}`,
    ),
  );
}
