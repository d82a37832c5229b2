// Postgres jsonb cannot hold U+0000, and an unpaired UTF-16 surrogate is not text.
// eslint-disable-next-line no-control-regex -- NUL is exactly what this replaces
const UNSTORABLE = /\u0000|[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/g;

/**
 * A target's response made storable in the log: strings (and keys) carrying a
 * NUL or an unpaired surrogate get U+FFFD in their place. Without this, one
 * odd response would fail its recording again and again, and its run would be
 * dispatched forever.
 */
export function storable(value: unknown, depth = 0): unknown {
  if (typeof value === 'string') return value.replace(UNSTORABLE, '\ufffd');
  if (value === null || typeof value !== 'object' || depth > 200) return value;
  if (Array.isArray(value)) return value.map((item) => storable(item, depth + 1));
  return Object.fromEntries(
    Object.entries(value).map(([key, item]) => [
      storable(key) as string,
      storable(item, depth + 1),
    ]),
  );
}
