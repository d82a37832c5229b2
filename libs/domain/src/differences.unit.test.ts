import { describe, expect, it } from 'vitest';
import { differingPaths } from './differences.js';

describe('differingPaths', () => {
  it('is empty for equal values, whatever the key order', () => {
    expect(differingPaths({ a: 1, b: { c: [1, 2] } }, { b: { c: [1, 2] }, a: 1 })).toEqual([]);
    expect(differingPaths({ a: 1, b: undefined }, { a: 1 })).toEqual([]);
  });

  it('names each differing leaf, a missing key and a changed array', () => {
    expect(
      differingPaths(
        { name: 'a', request: { url: 'x', headers: { h: { value: 'v' } } }, tags: [1] },
        { name: 'a', request: { url: 'y', headers: {} }, tags: [1, 2], extra: true },
        'config',
      ),
    ).toEqual(['config.request.url', 'config.request.headers.h', 'config.tags', 'config.extra']);
  });

  it('tells a value from an object holding it', () => {
    expect(differingPaths({ a: { b: 1 } }, { a: 1 })).toEqual(['a']);
  });
});
