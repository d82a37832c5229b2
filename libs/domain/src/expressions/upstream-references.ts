import type { ASTNode } from '@marcbachmann/cel-js';
import { childrenOf } from './structure.js';

/** An edge name an expression reads, `upstream.<name>` or `upstream["name"]`, and where. */
export interface UpstreamReference {
  readonly name: string;
  /** Offset of the name in the expression. */
  readonly position: number;
}

const isUpstream = (node: ASTNode): boolean => node.op === 'id' && node.args === 'upstream';

/** The edge names `ast` reads from `upstream` with a literal name, in source order. */
export const upstreamReferences = (ast: ASTNode): UpstreamReference[] => {
  const found: UpstreamReference[] = [];
  const visit = (node: ASTNode): void => {
    if ((node.op === '.' || node.op === '.?') && isUpstream(node.args[0])) {
      found.push({ name: node.args[1], position: node.pos });
    } else if ((node.op === '[]' || node.op === '[?]') && isUpstream(node.args[0])) {
      const key = node.args[1];
      if (key.op === 'value' && typeof key.args === 'string') {
        found.push({ name: key.args, position: key.start });
      }
    }
    childrenOf(node).forEach(visit);
  };
  visit(ast);
  return found.sort((a, b) => a.position - b.position);
};
