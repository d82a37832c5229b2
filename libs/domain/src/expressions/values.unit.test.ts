import { Environment } from '@marcbachmann/cel-js';
import { describe, expect, it } from 'vitest';
import { celTypeName, jsonText, scalarText, templateText } from './values.js';

const cel = (expression: string): unknown => new Environment().evaluate(expression);

describe('values as text', () => {
  it('given CEL scalars, then their canonical text', () => {
    expect([cel('7'), cel('7.0'), cel('7u'), cel('-0.0'), cel('true')].map(scalarText)).toEqual([
      '7',
      '7',
      '7',
      '0',
      'true',
    ]);
    expect([null, [1], { a: 1 }].map(scalarText)).toEqual([null, null, null]);
  });

  it('given bytes, a timestamp and a duration, then template text and JSON', () => {
    const values = [cel('b"hi"'), cel('timestamp("2024-01-01T00:00:00Z")'), cel('duration("90s")')];
    expect(values.map(templateText)).toEqual(['aGk=', '2024-01-01T00:00:00.000Z', '90s']);
    expect(jsonText(values)).toBe('["aGk=","2024-01-01T00:00:00.000Z","90s"]');
    expect(values.map(celTypeName)).toEqual(['bytes', 'timestamp', 'duration']);
  });

  it('given maps of every kind, then JSON objects, skipping undefined and non-finite as null', () => {
    expect(jsonText(new Map([['a', 1n]]))).toBe('{"a":1}');
    expect(jsonText({ a: undefined, b: Number.NaN, c: 'x"y' })).toBe('{"b":null,"c":"x\\"y"}');
  });
});
