import { describe, expect, it } from 'vitest';
import { checkCondition, evaluateCondition } from './condition.js';
import { deepFreeze, response } from './fixtures.test-support.js';

describe('conditions: the examples of the issue', () => {
  const orch = response({ endpoints_to_trigger: ['worker-1', 'worker-2'] });

  it.each([
    ['"worker-2" in upstream.orch.body.endpoints_to_trigger', {}, { orch }, true],
    ['"worker-3" in upstream.orch.body.endpoints_to_trigger', {}, { orch }, false],
    ['body.status == "complete"', { status: 'complete' }, {}, true],
    ['body.status == "complete"', { status: 'running' }, {}, false],
    ['body.ready_for_next_stage == true', { ready_for_next_stage: true }, {}, true],
    ['!body.pause_low_priority', { pause_low_priority: false }, {}, true],
    ['!body.pause_low_priority', { pause_low_priority: true }, {}, false],
  ])('given %s over %j, then it is %s', (expression, body, upstream, expected) => {
    expect(checkCondition(expression)).toBeNull();
    expect(evaluateCondition(expression, response(body), upstream)).toEqual({
      ok: true,
      value: expected,
    });
  });

  it('given status >= 200 && status < 300, then a 204 passes and a 503 does not', () => {
    const expression = 'status >= 200 && status < 300';
    expect(evaluateCondition(expression, response({}, { status: 204 }))).toEqual({
      ok: true,
      value: true,
    });
    expect(evaluateCondition(expression, response({}, { status: 503, ok: false }))).toEqual({
      ok: true,
      value: false,
    });
  });
});

describe('conditions: the variables', () => {
  it('given no HTTP answer (status null), then status is 0 and ok is false', () => {
    const noAnswer = response(null, { status: null, ok: false });
    expect(evaluateCondition('status == 0 && !ok', noAnswer)).toEqual({ ok: true, value: true });
  });

  it('given headers and a duration, then they are a string map and a double', () => {
    const r = response({}, { headers: { 'x-ready': 'yes' }, durationMs: 1500 });
    const expression = 'headers["x-ready"] == "yes" && durationMs > 1000.0 && durationMs < 2000';
    expect(evaluateCondition(expression, r)).toEqual({ ok: true, value: true });
  });

  it('given a JSON number, then it is a double that equals the int literal', () => {
    expect(evaluateCondition('body.count == 3', response({ count: 3 }))).toEqual({
      ok: true,
      value: true,
    });
  });

  it('given a text body, then body is a string', () => {
    expect(evaluateCondition('body.contains("done")', response('all done'))).toEqual({
      ok: true,
      value: true,
    });
  });

  it('given frozen inputs, then evaluation reads them without mutating', () => {
    const r = deepFreeze(response({ items: [{ ok: true }, { ok: true }] }));
    const upstream = deepFreeze({ a: response({ n: 1 }) });
    expect(
      evaluateCondition('body.items.all(i, i.ok) && upstream.a.body.n == 1', r, upstream),
    ).toEqual({ ok: true, value: true });
  });
});

describe('conditions: refusals carry a position', () => {
  it('given an unfinished expression, then the error is at its end', () => {
    expect(checkCondition('status == 200 &&')).toEqual({
      expression: 'status == 200 &&',
      position: 16,
      message: 'unexpected token: EOF',
    });
  });

  it('given int + string, then a one-line overload error', () => {
    expect(checkCondition('status + "a"')).toEqual({
      expression: 'status + "a"',
      position: 0,
      message: 'no such overload: int + string',
    });
    expect(checkCondition('ok && status + "a" == 1')).toMatchObject({
      position: 6,
      message: 'no such overload: int + string',
    });
  });

  it('given an unknown variable, then the error names it at its position', () => {
    expect(checkCondition('ok && stauts == 200')).toMatchObject({
      position: 6,
      message: 'unknown variable: stauts',
    });
  });

  it('given a non-bool expression, then it is refused', () => {
    expect(checkCondition('status + 1')).toMatchObject({
      position: 0,
      message: 'a condition must be a bool, not int',
    });
  });

  it('given an unknown field of an upstream response, then it is refused', () => {
    expect(checkCondition('upstream.a.stat == 200')?.message).toBe('no such key: stat');
  });
});

describe('conditions: evaluation errors are values', () => {
  it('given a missing key, then an error value with the position of the key', () => {
    expect(evaluateCondition('body.ready', response({}))).toEqual({
      ok: false,
      error: { expression: 'body.ready', position: 5, message: 'no such key: ready' },
    });
  });

  it('given a dyn result that is not a bool, then an error value', () => {
    expect(evaluateCondition('body.ready', response({ ready: 'yes' }))).toMatchObject({
      ok: false,
      error: { message: 'a condition must be a bool, not string' },
    });
  });

  it('given an invalid expression, then evaluating returns the check error', () => {
    expect(evaluateCondition('status ==', response())).toMatchObject({
      ok: false,
      error: { position: 9 },
    });
  });
});
