/**
 * Structural limits applied to every expression (conditions, correlations, fan-ins and each
 * `{{ … }}` part of a template), checked when it is compiled.
 *
 * The CEL library has no runtime cost meter, so cost is bounded statically instead:
 *
 * - `maxLength` — characters of one expression (a template's text may be longer; each part is
 *   held to it).
 * - `maxAstNodes` — nodes of the parsed expression: the work of one evaluation pass.
 * - `maxDepth` — nesting of calls, selections, indexes and literals (keeps the parser and the
 *   evaluator's recursion shallow).
 * - `maxComprehensionNesting` — how many comprehensions (`all`, `exists`, `exists_one`, `map`,
 *   `filter`) may enclose one another: 1 allows `body.items.all(x, x.ok)` and refuses
 *   `body.a.all(x, body.b.exists(y, y == x))`, whose cost is the product of two list lengths.
 *
 * With the input itself capped (a response body is at most the endpoint's response cap), an
 * evaluation costs O(nodes × input size). `matches` (a backtracking regular expression) is
 * refused for the same reason: its cost has no such bound.
 */
export const EXPRESSION_LIMITS: {
  readonly maxLength: 2000;
  readonly maxAstNodes: number;
  readonly maxDepth: number;
  readonly maxComprehensionNesting: number;
} = Object.freeze({
  maxLength: 2000,
  maxAstNodes: 200,
  maxDepth: 32,
  maxComprehensionNesting: 1,
});
