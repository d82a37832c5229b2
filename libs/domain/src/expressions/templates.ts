import { compile, run } from './compile.js';
import type { Compilation } from './compile.js';
import { templateEnvironment } from './environments.js';
import { expressionError, failed } from './expression-error.js';
import type { Evaluated, ExpressionError } from './expression-error.js';
import { CascadeValue, upstreamValue } from './inputs.js';
import type { CascadeInput, ResponseInput } from './inputs.js';
import { scanTemplate } from './template-parts.js';
import type { ScannedPart } from './template-parts.js';
import { upstreamReferences } from './upstream-references.js';
import { templateText } from './values.js';

/** What a template is rendered with. */
export interface TemplateInput {
  /** Edge name → the upstream response (`upstream.extract.body.batch_id`). */
  readonly upstream: Readonly<Record<string, ResponseInput>>;
  /** The cascade (`cascade.root`, `cascade.depth`, `cascade.correlation`). */
  readonly cascade: CascadeInput;
}

const anyType = (): null => null;

/** An error in one part, placed in the whole text and naming the part. */
const inPart = (text: string, part: ScannedPart, position: number, message: string) =>
  expressionError(text, position, `{{ ${part.expression} }}: ${message}`);

const compilePart = (text: string, part: ScannedPart): Compilation => {
  if (part.expression === '') {
    return { ok: false, error: inPart(text, part, part.start, 'empty expression') };
  }
  const compiled = compile('template', templateEnvironment, part.expression, anyType);
  if (compiled.ok) return compiled;
  const { position, message } = compiled.error;
  return { ok: false, error: inPart(text, part, part.offset + position, message) };
};

const unclosedError = (text: string, at: number): ExpressionError =>
  expressionError(text, at, '"{{" without a closing "}}"');

/**
 * Checks a template: text with `{{ <CEL> }}` parts, whose variables are `upstream` (edge name →
 * `{status, ok, body, headers, durationMs}`) and `cascade` (`root`, `depth`, `correlation`).
 * Each part must compile, every `upstream.<name>` (or `upstream["name"]`) must name one of
 * `edgeNames`, and every `{{` needs its `}}`. Positions are offsets in `text`.
 *
 * @example checkTemplate('https://x/load?batch={{ upstream.extract.body.batch_id }}', ['extract']) // null
 */
export function checkTemplate(text: string, edgeNames: readonly string[]): ExpressionError | null {
  const { parts, unclosed } = scanTemplate(text);
  const known = new Set(edgeNames);
  for (const part of parts) {
    const compiled = compilePart(text, part);
    if (!compiled.ok) return compiled.error;
    const unknown = upstreamReferences(compiled.compiled.ast).find((r) => !known.has(r.name));
    if (unknown) {
      const edges = [...known].sort().join(', ') || 'none';
      const message = `unknown edge "${unknown.name}" (edges: ${edges})`;
      return inPart(text, part, part.offset + unknown.position, message);
    }
  }
  return unclosed === null ? null : unclosedError(text, unclosed);
}

/**
 * Renders a template. Each part's value becomes text: a string as is; a number as JavaScript
 * writes it (`7`, not `7.0`); an int, uint or bool as text; null as `null`; a list or map as
 * JSON (bytes base64, timestamps ISO-8601). A part that fails, such as a missing key, makes the
 * whole render an error naming the part: `{{ upstream.extract.body.batch_id }}: no such key:
 * batch_id`.
 *
 * @example renderTemplate('{"root":"{{cascade.root}}"}', { upstream: {}, cascade }) // { ok: true, value: '{"root":"r-1"}' }
 */
export function renderTemplate(text: string, input: TemplateInput): Evaluated<string> {
  const { parts, unclosed } = scanTemplate(text);
  if (unclosed !== null) return failed(unclosedError(text, unclosed));
  const context = {
    upstream: upstreamValue(input.upstream),
    cascade: new CascadeValue(input.cascade),
  };
  let rendered = '';
  let from = 0;
  for (const part of parts) {
    const compiled = compilePart(text, part);
    if (!compiled.ok) return compiled;
    const result = run(compiled.compiled, context, text, part.offset);
    if (!result.ok) {
      const { position, message } = result.error;
      return failed(inPart(text, part, position, message));
    }
    let value: string;
    try {
      value = templateText(result.value);
    } catch (error) {
      return failed(inPart(text, part, part.offset, `cannot render the value: ${String(error)}`));
    }
    rendered += text.slice(from, part.start) + value;
    from = part.end;
  }
  return { ok: true, value: rendered + text.slice(from) };
}
