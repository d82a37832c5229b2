/** One `{{ … }}` part of a template. */
export interface TemplatePart {
  /** The CEL expression inside the braces, without the surrounding whitespace. */
  readonly expression: string;
  /** Offset of the opening `{{` in the text. */
  readonly start: number;
  /** Offset just past the closing `}}`: `text.slice(start, end)` is the whole part. */
  readonly end: number;
}

/** A part and where its expression starts in the text. */
export interface ScannedPart extends TemplatePart {
  readonly offset: number;
}

/** The parts of a template, and the offset of a `{{` that has no `}}` (null if none). */
export interface ScannedTemplate {
  readonly parts: readonly ScannedPart[];
  readonly unclosed: number | null;
}

/**
 * The offset of the `}}` that closes an expression starting at `from`: the first one outside a
 * string literal and outside the expression's own braces (so `{{ {"a": 1} }}` is one part).
 */
const closingOf = (text: string, from: number): number => {
  let depth = 0;
  let quote: string | null = null;
  for (let i = from; i < text.length; i++) {
    const c = text[i];
    if (quote !== null) {
      if (c === '\\') i++;
      else if (c === quote) quote = null;
    } else if (c === '"' || c === "'") quote = c;
    else if (c === '{') depth++;
    else if (c === '}' && depth > 0) depth--;
    else if (c === '}' && text[i + 1] === '}') return i;
  }
  return -1;
};

/** Scans a template for its parts. */
export const scanTemplate = (text: string): ScannedTemplate => {
  const parts: ScannedPart[] = [];
  let from = 0;
  for (;;) {
    const start = text.indexOf('{{', from);
    if (start === -1) return { parts, unclosed: null };
    const close = closingOf(text, start + 2);
    if (close === -1) return { parts, unclosed: start };
    const inner = text.slice(start + 2, close);
    const lead = inner.length - inner.trimStart().length;
    parts.push({ expression: inner.trim(), start, end: close + 2, offset: start + 2 + lead });
    from = close + 2;
  }
};

/**
 * The `{{ <CEL> }}` parts of a template, in order (whitespace inside the braces is optional). A
 * `{{` without its `}}` ends the list; {@link checkTemplate} reports it.
 *
 * @example templateParts('a{{ x }}b') // [{ expression: 'x', start: 1, end: 8 }]
 */
export function templateParts(text: string): TemplatePart[] {
  return scanTemplate(text).parts.map(({ expression, start, end }) => ({ expression, start, end }));
}

/** Whether `text` has a `{{`, i.e. is a template rather than plain text. */
export function isTemplate(text: string): boolean {
  return text.includes('{{');
}
