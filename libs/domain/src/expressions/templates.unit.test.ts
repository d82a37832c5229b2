import { describe, expect, it } from 'vitest';
import { cascade, response } from './fixtures.test-support.js';
import { checkTemplate, renderTemplate } from './templates.js';

const LOAD = 'https://x/load?batch={{ upstream.extract.body.batch_id }}';

describe('templates: the examples of the issue', () => {
  it('given a URL reading an upstream body, then it checks and renders', () => {
    expect(checkTemplate(LOAD, ['extract'])).toBeNull();
    const upstream = { extract: response({ batch_id: 17 }) };
    expect(renderTemplate(LOAD, { upstream, cascade: cascade() })).toEqual({
      ok: true,
      value: 'https://x/load?batch=17',
    });
  });

  it('given a JSON body reading the cascade, then it renders', () => {
    const text = '{"root":"{{cascade.root}}"}';
    expect(checkTemplate(text, [])).toBeNull();
    expect(renderTemplate(text, { upstream: {}, cascade: cascade({ root: 'r-9' }) })).toEqual({
      ok: true,
      value: '{"root":"r-9"}',
    });
  });
});

describe('templates: rendering values', () => {
  const upstream = {
    a: response({ s: 'x y', n: 7.0, f: 2.5, t: true, z: null, list: [1, 'b'], map: { k: 1 } }),
  };
  const render = (text: string) => renderTemplate(text, { upstream, cascade: cascade() });

  it.each([
    ['{{ upstream.a.body.s }}', 'x y'],
    ['{{ upstream.a.body.n }}', '7'],
    ['{{ upstream.a.body.f }}', '2.5'],
    ['{{ upstream.a.status }}', '200'],
    ['{{ upstream.a.body.t }}', 'true'],
    ['{{ upstream.a.body.z }}', 'null'],
    ['{{ upstream.a.body.list }}', '[1,"b"]'],
    ['{{ upstream.a.body.map }}', '{"k":1}'],
    ['{{ [cascade.depth, 1u] }}', '[1,1]'],
    ['{{ 1 + 2 }}-{{ "a" + "b" }}', '3-ab'],
    ['no parts', 'no parts'],
  ])('given %s, then it renders as %s', (text, expected) => {
    expect(render(text)).toEqual({ ok: true, value: expected });
  });

  it('given a missing key, then an error value naming the part and the key', () => {
    const result = renderTemplate(LOAD, {
      upstream: { extract: response({}) },
      cascade: cascade(),
    });
    expect(result).toEqual({
      ok: false,
      error: {
        expression: LOAD,
        position: LOAD.indexOf('batch_id }}'),
        message: '{{ upstream.extract.body.batch_id }}: no such key: batch_id',
      },
    });
  });

  it('given a missing edge, then an error value naming it', () => {
    expect(renderTemplate(LOAD, { upstream: {}, cascade: cascade() })).toMatchObject({
      ok: false,
      error: { message: '{{ upstream.extract.body.batch_id }}: no such key: extract' },
    });
  });
});

describe('templates: refusals carry positions in the whole text', () => {
  it('given an edge name that is not an edge, then the error points at the name', () => {
    expect(checkTemplate(LOAD, ['transform'])).toEqual({
      expression: LOAD,
      position: LOAD.indexOf('extract'),
      message: '{{ upstream.extract.body.batch_id }}: unknown edge "extract" (edges: transform)',
    });
  });

  it('given upstream["name"] of an unknown edge, then the error points at the string', () => {
    const text = 'x={{ upstream["load"].ok }}';
    expect(checkTemplate(text, ['extract'])).toMatchObject({
      position: text.indexOf('"load"'),
      message: '{{ upstream["load"].ok }}: unknown edge "load" (edges: extract)',
    });
  });

  it('given a part that does not parse, then the position is in the text', () => {
    const text = 'a={{ cascade.root + }}';
    expect(checkTemplate(text, [])).toMatchObject({
      position: text.indexOf(' }}'),
      message: '{{ cascade.root + }}: unexpected token: EOF',
    });
  });

  it('given an unknown variable, then it is refused', () => {
    expect(checkTemplate('{{ body.id }}', [])).toMatchObject({
      position: 3,
      message: '{{ body.id }}: unknown variable: body',
    });
  });

  it('given an empty part, then it is refused at its braces', () => {
    expect(checkTemplate('a{{ }}', [])).toMatchObject({
      position: 1,
      message: '{{  }}: empty expression',
    });
  });

  it('given a "{{" without "}}", then check and render report it', () => {
    const text = '{{ cascade.root }} {{ cascade.depth';
    const error = { expression: text, position: 19, message: '"{{" without a closing "}}"' };
    expect(checkTemplate(text, [])).toEqual(error);
    expect(renderTemplate(text, { upstream: {}, cascade: cascade() })).toEqual({
      ok: false,
      error,
    });
  });
});
