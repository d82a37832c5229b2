import type { ASTNode } from '@marcbachmann/cel-js';
import { EXPRESSION_LIMITS } from './expression-limits.js';

/** A refusal found in the shape of an expression: where, and why. */
export interface StructuralProblem {
  readonly position: number;
  readonly message: string;
}

const COMPREHENSIONS = new Set(['all', 'exists', 'exists_one', 'map', 'filter']);

/** Functions refused outright: `matches` runs a backtracking regular expression. */
const REFUSED_FUNCTIONS: Readonly<Record<string, string>> = {
  matches:
    'matches() is not allowed: a regular expression can take unbounded time; use contains, startsWith or endsWith',
};

const isNode = (value: unknown): value is ASTNode =>
  typeof value === 'object' && value !== null && 'op' in value && 'start' in value;

/** The direct sub-expressions of a node, whatever its operator. */
export const childrenOf = (node: ASTNode): ASTNode[] => {
  if (node.op === 'value' || node.op === 'id') return [];
  const children: ASTNode[] = [];
  const collect = (value: unknown): void => {
    if (isNode(value)) children.push(value);
    else if (Array.isArray(value)) value.forEach(collect);
  };
  collect(node.args);
  return children;
};

/** Whether `node` is a comprehension macro call, `target.all(x, …)` and the like. */
const isComprehension = (
  node: ASTNode,
): node is Extract<ASTNode, { op: 'rcall' }> & { args: [string, ASTNode, ASTNode[]] } =>
  node.op === 'rcall' && COMPREHENSIONS.has(node.args[0]) && node.args[2].length >= 2;

const calledName = (node: ASTNode): string | null =>
  node.op === 'call' || node.op === 'rcall' ? node.args[0] : null;

/**
 * The first structural refusal in `ast`, in source order: a comprehension nested deeper than
 * {@link EXPRESSION_LIMITS.maxComprehensionNesting}, or a refused function.
 */
export const structuralProblem = (ast: ASTNode): StructuralProblem | null => {
  const visit = (node: ASTNode, nesting: number): StructuralProblem | null => {
    const name = calledName(node);
    const refused = name === null ? undefined : REFUSED_FUNCTIONS[name];
    if (refused !== undefined) return { position: node.start, message: refused };
    if (isComprehension(node)) {
      const inner = nesting + 1;
      if (inner > EXPRESSION_LIMITS.maxComprehensionNesting) {
        return {
          position: node.start,
          message: `comprehensions nested too deeply: ${node.args[0]}() inside another comprehension (at most ${EXPRESSION_LIMITS.maxComprehensionNesting} level)`,
        };
      }
      // The target is evaluated once; the variable and the body once per element.
      return visit(node.args[1], nesting) ?? first(node.args[2], inner);
    }
    return first(childrenOf(node), nesting);
  };
  const first = (nodes: readonly ASTNode[], nesting: number): StructuralProblem | null => {
    for (const child of nodes) {
      const problem = visit(child, nesting);
      if (problem) return problem;
    }
    return null;
  };
  return visit(ast, 0);
};
