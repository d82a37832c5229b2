import { compile, run, typeIn } from './compile.js';
import { correlationEnvironment } from './environments.js';
import { expressionError, failed } from './expression-error.js';
import type { Evaluated, ExpressionError } from './expression-error.js';
import { CascadeValue, responseVariables } from './inputs.js';
import type { CascadeInput, ResponseInput } from './inputs.js';
import { scalarText } from './values.js';

const NOT_A_KEY = 'correlation must be a string, number or bool';

const compileCorrelation = (expression: string) =>
  compile(
    'correlation',
    correlationEnvironment,
    expression,
    typeIn(NOT_A_KEY, ['string', 'int', 'uint', 'double', 'bool']),
  );

/**
 * Checks a correlation: a CEL scalar over one upstream response that keys a fan-in (runs with the
 * same key are combined). Its variables are the response's (`status`, `ok`, `body`, `headers`,
 * `durationMs`, as in a condition; no `upstream`) plus `cascade` (`root` string, `depth` int, `correlation` string or
 * null). A statically non-scalar result (a list, a map, null) is refused; `dyn` is accepted.
 *
 * @example checkCorrelation('body.batch_id') // null
 */
export function checkCorrelation(expression: string): ExpressionError | null {
  const compiled = compileCorrelation(expression);
  return compiled.ok ? null : compiled.error;
}

/**
 * Evaluates a correlation to its canonical key: a string as is, a number as JavaScript writes it
 * (`7.0` → `"7"`, so a JSON `7` and `7.0` correlate), an int or uint in decimal, a bool as
 * `"true"`/`"false"`. Null, a list or a map is the error `correlation must be a string, number
 * or bool`.
 *
 * @example evaluateCorrelation('body.batch_id', response, cascade) // { ok: true, value: '42' }
 */
export function evaluateCorrelation(
  expression: string,
  response: ResponseInput,
  cascade: CascadeInput,
): Evaluated<string> {
  const compiled = compileCorrelation(expression);
  if (!compiled.ok) return compiled;
  const result = run(compiled.compiled, {
    ...responseVariables(response),
    cascade: new CascadeValue(cascade),
  });
  if (!result.ok) return result;
  const key = scalarText(result.value);
  if (key !== null) return { ok: true, value: key };
  return failed(expressionError(expression, compiled.compiled.ast.start, NOT_A_KEY));
}
