import { Environment } from '@marcbachmann/cel-js';

type Constructor = abstract new (...args: never[]) => { toString(): string };

// The package root does not export the classes of uint and duration values (only its
// `./evaluator` entry does, which the domain's import rule does not allow); take them from values.
const classOf = (expression: string): Constructor =>
  (Object.getPrototypeOf(new Environment().evaluate(expression)) as { constructor: Constructor })
    .constructor;
const UnsignedInt = classOf('0u');
const Duration = classOf('duration("0s")');

/** The CEL type name of an evaluated value, for messages. */
export const celTypeName = (value: unknown): string => {
  if (value === null || value === undefined) return 'null';
  if (Array.isArray(value)) return 'list';
  if (value instanceof UnsignedInt) return 'uint';
  if (value instanceof Uint8Array) return 'bytes';
  if (value instanceof Date) return 'timestamp';
  if (value instanceof Duration) return 'duration';
  switch (typeof value) {
    case 'string':
      return 'string';
    case 'bigint':
      return 'int';
    case 'number':
      return 'double';
    case 'boolean':
      return 'bool';
    default:
      return 'map';
  }
};

/**
 * The canonical text of a scalar: a string as is, a number as JavaScript writes it (`7.0` → `7`),
 * an int or uint in decimal, a bool as `true`/`false`; `null` for anything else.
 */
export const scalarText = (value: unknown): string | null => {
  if (value instanceof UnsignedInt) return value.toString();
  switch (typeof value) {
    case 'string':
      return value;
    case 'number':
    case 'bigint':
    case 'boolean':
      return String(value);
    default:
      return null;
  }
};

const base64 = (bytes: Uint8Array): string => {
  let binary = '';
  for (const byte of bytes) binary += String.fromCharCode(byte);
  return btoa(binary);
};

/** A value as JSON text: ints and uints as numbers, bytes as base64, timestamps as ISO-8601. */
export const jsonText = (value: unknown): string => {
  if (value === null || value === undefined) return 'null';
  const scalar = scalarText(value);
  if (typeof value === 'string') return JSON.stringify(value);
  if (typeof value === 'number') return Number.isFinite(value) ? String(value) : 'null';
  if (scalar !== null) return scalar;
  if (Array.isArray(value)) return `[${value.map(jsonText).join(',')}]`;
  if (value instanceof Uint8Array) return JSON.stringify(base64(value));
  if (value instanceof Date) return JSON.stringify(value.toISOString());
  if (value instanceof Duration) return JSON.stringify(value.toString());
  if (typeof value !== 'object') return 'null';
  const entries = value instanceof Map ? [...value.entries()] : Object.entries(value);
  const members = entries
    .filter(([, member]) => member !== undefined)
    .map(([key, member]) => `${JSON.stringify(String(key))}:${jsonText(member)}`);
  return `{${members.join(',')}}`;
};

/**
 * A value as template text: a string as is; numbers, ints, uints and bools as {@link scalarText};
 * `null` as `null`; bytes as base64; a timestamp as ISO-8601; a duration as CEL writes it (`90s`);
 * a list or map as JSON.
 */
export const templateText = (value: unknown): string => {
  const scalar = scalarText(value);
  if (scalar !== null) return scalar;
  if (value instanceof Uint8Array) return base64(value);
  if (value instanceof Date) return value.toISOString();
  if (value instanceof Duration) return value.toString();
  return jsonText(value);
};
