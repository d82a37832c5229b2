import { compile, typeIn } from './compile.js';
import type { Compilation } from './compile.js';
import { edgeSetKey, fanInEnvironment } from './environments.js';
import type { ExpressionError } from './expression-error.js';

const keyword = (combine: string): 'all' | 'any' | null => {
  const trimmed = combine.trim();
  return trimmed === 'all' || trimmed === 'any' ? trimmed : null;
};

const compileFanIn = (combine: string, edgeNames: readonly string[]): Compilation =>
  compile(
    `fan-in:${edgeSetKey(edgeNames)}`,
    fanInEnvironment(edgeNames),
    combine,
    typeIn('a fan-in must be a bool', ['bool']),
  );

/**
 * Checks how a downstream combines its trigger edges: `all`, `any`, or a CEL `bool` expression
 * whose variables are the edge names, each a `bool` (`(a || b) && c`). A name that is not one of
 * `edgeNames` is an error at its position (`unknown variable: d`).
 *
 * @example checkFanIn('(a || b) && c', ['a', 'b', 'c']) // null
 */
export function checkFanIn(combine: string, edgeNames: readonly string[]): ExpressionError | null {
  if (keyword(combine) !== null) return null;
  const compiled = compileFanIn(combine, edgeNames);
  return compiled.ok ? null : compiled.error;
}

/**
 * Whether the fan-in fires, given which edges are ready (every edge name → ready or not):
 * `all` when there is at least one edge and every one is ready, `any` when some is, else the
 * expression's value.
 *
 * @throws Error when `combine` does not pass {@link checkFanIn} for the names of `ready` (an
 *   invariant: fan-ins are checked when they are configured).
 * @example evaluateFanIn('(a || b) && c', { a: false, b: true, c: true }) // true
 */
export function evaluateFanIn(combine: string, ready: Readonly<Record<string, boolean>>): boolean {
  const values = Object.values(ready);
  switch (keyword(combine)) {
    case 'all':
      return values.length > 0 && values.every(Boolean);
    case 'any':
      return values.some(Boolean);
    default:
      break;
  }
  const compiled = compileFanIn(combine, Object.keys(ready));
  if (!compiled.ok) {
    throw new Error(`fan-in "${combine}" is not valid: ${compiled.error.message}`);
  }
  const value: unknown = compiled.compiled.program(ready);
  if (typeof value !== 'boolean') throw new Error(`fan-in "${combine}" gave a non-bool value`);
  return value;
}
