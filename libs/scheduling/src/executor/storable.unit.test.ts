import { describe, expect, it } from 'vitest';
import { storable } from './storable.js';

describe('storable', () => {
  it('replaces NULs and unpaired surrogates anywhere in a response, keys included', () => {
    const body = { 'a\u0000': ['x\u0000y', '\ud800', 'ok 😀'], n: 1, nested: { s: 'z\udc00' } };
    expect(storable(body)).toEqual({
      'a\ufffd': ['x\ufffdy', '\ufffd', 'ok 😀'],
      n: 1,
      nested: { s: 'z\ufffd' },
    });
  });

  it('leaves ordinary values untouched', () => {
    for (const value of [null, 3, true, 'plain', ['a', { b: 'c' }]])
      expect(storable(value)).toEqual(value);
  });
});
