import { describe, expect, it } from 'vitest';
import { checkCorrelation, evaluateCorrelation } from './correlation.js';
import { cascade, response } from './fixtures.test-support.js';

describe('correlations: a canonical key', () => {
  it.each([
    [{ batch_id: 'b-17' }, 'b-17'],
    [{ batch_id: 7 }, '7'],
    [{ batch_id: 7.0 }, '7'],
    [{ batch_id: 7.5 }, '7.5'],
    [{ batch_id: true }, 'true'],
  ])('given body %j, when correlating on body.batch_id, then the key is %s', (body, key) => {
    expect(checkCorrelation('body.batch_id')).toBeNull();
    expect(evaluateCorrelation('body.batch_id', response(body), cascade())).toEqual({
      ok: true,
      value: key,
    });
  });

  it('given an int or uint expression, then the key is its decimal text', () => {
    expect(evaluateCorrelation('status * 10', response(), cascade())).toEqual({
      ok: true,
      value: '2000',
    });
    expect(evaluateCorrelation('uint(status)', response(), cascade())).toEqual({
      ok: true,
      value: '200',
    });
  });

  it('given the cascade, then root, depth and correlation are readable', () => {
    const c = cascade({ root: 'r-1', depth: 3, correlation: 'k' });
    const expression = 'cascade.root + "/" + string(cascade.depth + 1) + "/" + cascade.correlation';
    expect(evaluateCorrelation(expression, response(), c)).toEqual({
      ok: true,
      value: 'r-1/4/k',
    });
  });
});

describe('correlations: refusals', () => {
  it('given a list or map expression, then it is refused when checked', () => {
    expect(checkCorrelation('[1, 2]')).toMatchObject({
      position: 0,
      message: 'correlation must be a string, number or bool, not list<int>',
    });
    expect(checkCorrelation('headers')?.message).toMatch(/^correlation must be a string/);
  });

  it('given upstream, then it is unknown: a correlation sees one response', () => {
    expect(checkCorrelation('upstream.a.body.id')).toMatchObject({
      position: 0,
      message: 'unknown variable: upstream',
    });
  });

  it.each([[{ batch_id: null }], [{ batch_id: [1] }], [{ batch_id: { a: 1 } }]])(
    'given body %j, then evaluating is an error value',
    (body) => {
      expect(evaluateCorrelation('body.batch_id', response(body), cascade())).toEqual({
        ok: false,
        error: {
          expression: 'body.batch_id',
          position: 0,
          message: 'correlation must be a string, number or bool',
        },
      });
    },
  );

  it('given a missing key, then an error value, not a throw', () => {
    expect(evaluateCorrelation('body.batch_id', response({}), cascade())).toMatchObject({
      ok: false,
      error: { position: 5, message: 'no such key: batch_id' },
    });
  });
});
