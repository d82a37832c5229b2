import { describe, expect, it } from 'vitest';
import { isTemplate, scanTemplate, templateParts } from './template-parts.js';

describe('template parts', () => {
  it('given parts with and without inner whitespace, then each is found with its span', () => {
    const text = 'a{{ x }}b{{y}}';
    expect(templateParts(text)).toEqual([
      { expression: 'x', start: 1, end: 8 },
      { expression: 'y', start: 9, end: 14 },
    ]);
    expect(text.slice(1, 8)).toBe('{{ x }}');
  });

  it('given braces and "}}" inside the expression, then the part ends at its own "}}"', () => {
    expect(templateParts('{{ {"a": 1} }}!')).toEqual([
      { expression: '{"a": 1}', start: 0, end: 14 },
    ]);
    expect(templateParts('{{ upstream["x}}"].ok }}')).toEqual([
      { expression: 'upstream["x}}"].ok', start: 0, end: 24 },
    ]);
  });

  it('given JSON text around the parts, then its single braces are text', () => {
    expect(templateParts('{"root":"{{cascade.root}}"}')).toEqual([
      { expression: 'cascade.root', start: 9, end: 25 },
    ]);
  });

  it('given a "{{" without "}}", then the scan stops there and reports it', () => {
    expect(scanTemplate('{{ a }} and {{ b')).toMatchObject({
      parts: [{ expression: 'a' }],
      unclosed: 12,
    });
    expect(templateParts('{{ b')).toEqual([]);
  });

  it('given text, then it is a template only when it has a "{{"', () => {
    expect(isTemplate('https://x/{{ cascade.root }}')).toBe(true);
    expect(isTemplate('{{ unclosed')).toBe(true);
    expect(isTemplate('{"a": {"b": 1}}')).toBe(false);
  });
});
