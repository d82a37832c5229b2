import { describe, expect, it } from 'vitest';
import { checkCondition } from './condition.js';
import { EXPRESSION_LIMITS } from './expression-limits.js';
import { checkTemplate } from './templates.js';

describe('limits: comprehensions', () => {
  it('given one level of comprehension, then it is accepted', () => {
    expect(checkCondition('body.items.all(x, x.ok)')).toBeNull();
    expect(checkCondition('body.items.map(x, x.n).filter(n, n > 1.0).size() > 0')).toBeNull();
  });

  it('given a comprehension inside another, then it is refused at the inner one', () => {
    const expression = 'body.a.all(x, body.b.exists(y, y == x))';
    expect(checkCondition(expression)).toEqual({
      expression,
      position: expression.indexOf('body.b'),
      message:
        'comprehensions nested too deeply: exists() inside another comprehension (at most 1 level)',
    });
  });

  it('given a comprehension in the target of another, then it is accepted (it runs once)', () => {
    expect(checkCondition('body.a.filter(x, x > 1.0).exists(y, y == 2.0)')).toBeNull();
  });

  it('given nesting in a template part, then it is refused at its place in the text', () => {
    const text = 'x{{ upstream.a.body.l.map(i, upstream.a.body.l.filter(j, j == i)) }}';
    expect(checkTemplate(text, ['a'])?.position).toBe(text.indexOf('upstream.a.body.l.filter'));
  });
});

describe('limits: size and depth', () => {
  it('given more AST nodes than the limit, then it is refused', () => {
    const expression = Array.from({ length: EXPRESSION_LIMITS.maxAstNodes }, () => 'ok').join(
      ' && ',
    );
    expect(checkCondition(expression)?.message).toBe(
      `expression too large: more than ${EXPRESSION_LIMITS.maxAstNodes} nodes`,
    );
  });

  it('given deeper nesting than the limit, then it is refused where it gets too deep', () => {
    const depth = EXPRESSION_LIMITS.maxDepth + 1;
    const expression = `${'('.repeat(depth)}ok${')'.repeat(depth)}`;
    const error = checkCondition(expression);
    expect(error?.message).toBe(
      `expression nested too deeply: more than ${EXPRESSION_LIMITS.maxDepth} levels`,
    );
    expect(error?.position).toBeGreaterThan(0);
  });

  it('given a longer expression than the limit, then it is refused at the limit', () => {
    const expression = `ok${' '.repeat(EXPRESSION_LIMITS.maxLength)}`;
    expect(checkCondition(expression)).toMatchObject({
      position: EXPRESSION_LIMITS.maxLength,
      message: `expression longer than ${EXPRESSION_LIMITS.maxLength} characters`,
    });
  });

  it('given matches(), then it is refused (a regular expression has no cost bound)', () => {
    expect(checkCondition('ok && body.s.matches("(a+)+$")')).toMatchObject({
      position: 6,
      message: expect.stringMatching(/^matches\(\) is not allowed/),
    });
  });
});
