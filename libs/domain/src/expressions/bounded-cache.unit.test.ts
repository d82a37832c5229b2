import { describe, expect, it } from 'vitest';
import { BoundedCache } from './bounded-cache.js';
import { compile, typeIn } from './compile.js';
import { conditionEnvironment } from './environments.js';

describe('bounded cache', () => {
  it('given a full cache, when one more entry is set, then the least recently used goes', () => {
    const cache = new BoundedCache<string, number>(2);
    cache.set('a', 1);
    cache.set('b', 2);
    cache.get('a');
    cache.set('c', 3);
    expect([cache.get('a'), cache.get('b'), cache.get('c'), cache.size]).toEqual([
      1,
      undefined,
      3,
      2,
    ]);
  });

  it('given a cached key, when asked again, then the value is not made again', () => {
    const cache = new BoundedCache<string, object>(2);
    const first = cache.getOrSet('k', () => ({}));
    expect(cache.getOrSet('k', () => ({ other: true }))).toBe(first);
  });
});

describe('compile', () => {
  it('given the same expression twice, then the second compile is the cached program', () => {
    const rule = typeIn('x', ['bool']);
    const first = compile('condition', conditionEnvironment, 'ok && status == 200', rule);
    const second = compile('condition', conditionEnvironment, 'ok && status == 200', rule);
    expect(first.ok).toBe(true);
    expect(second).toBe(first);
  });
});
