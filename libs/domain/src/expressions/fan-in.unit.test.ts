import { describe, expect, it } from 'vitest';
import { checkFanIn, evaluateFanIn } from './fan-in.js';

describe('fan-in: all and any', () => {
  it('given all, then it fires only when every edge is ready', () => {
    expect(evaluateFanIn('all', { a: true, b: true })).toBe(true);
    expect(evaluateFanIn('all', { a: true, b: false })).toBe(false);
  });

  it('given all over no edges, then it never fires', () => {
    expect(evaluateFanIn('all', {})).toBe(false);
  });

  it('given any, then one ready edge is enough', () => {
    expect(evaluateFanIn('any', { a: false, b: true })).toBe(true);
    expect(evaluateFanIn('any', { a: false, b: false })).toBe(false);
    expect(evaluateFanIn('any', {})).toBe(false);
  });

  it('given all or any, then the check accepts it whatever the edges', () => {
    expect(checkFanIn('all', [])).toBeNull();
    expect(checkFanIn(' any ', ['a'])).toBeNull();
  });
});

describe('fan-in: an expression over edge names', () => {
  const edges = ['a', 'b', 'c'];

  it('given (a || b) && c, then it is valid and combines the edges', () => {
    expect(checkFanIn('(a || b) && c', edges)).toBeNull();
    expect(evaluateFanIn('(a || b) && c', { a: false, b: true, c: true })).toBe(true);
    expect(evaluateFanIn('(a || b) && c', { a: true, b: true, c: false })).toBe(false);
    expect(evaluateFanIn('(a || b) && c', { a: false, b: false, c: true })).toBe(false);
  });

  it('given a name that is not an edge, then the error names it at its position', () => {
    expect(checkFanIn('(a || d) && c', edges)).toEqual({
      expression: '(a || d) && c',
      position: 6,
      message: 'unknown variable: d',
    });
  });

  it('given the same expression and other edges, then it is checked against those edges', () => {
    expect(checkFanIn('a && b', ['a', 'b'])).toBeNull();
    expect(checkFanIn('a && b', ['a'])?.message).toBe('unknown variable: b');
  });

  it('given a non-bool expression, then it is refused', () => {
    expect(checkFanIn('a ? 1 : 2', edges)?.message).toBe('a fan-in must be a bool, not int');
  });

  it('given an invalid expression at evaluation, then it throws (fan-ins are checked first)', () => {
    expect(() => evaluateFanIn('a && d', { a: true })).toThrow(/unknown variable: d/);
  });
});
