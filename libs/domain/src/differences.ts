const isRecord = (value: unknown): value is Record<string, unknown> =>
  typeof value === 'object' && value !== null && !Array.isArray(value);

/**
 * The dotted paths where two JSON-like values differ, in the order of `a`'s keys then `b`'s
 * new ones; empty when they are equal. Object key order does not matter; a key absent on one
 * side and `undefined` on the other are equal (as JSON would have them).
 *
 * @example
 * differingPaths({ name: 'a', request: { url: 'x' } }, { name: 'a', request: { url: 'y' } }, 'config')
 * // → ['config.request.url']
 */
export function differingPaths(a: unknown, b: unknown, path = ''): string[] {
  if (isRecord(a) && isRecord(b)) {
    const keys = [...new Set([...Object.keys(a), ...Object.keys(b)])];
    return keys.flatMap((key) => differingPaths(a[key], b[key], path ? `${path}.${key}` : key));
  }
  if (Array.isArray(a) && Array.isArray(b)) {
    if (a.length !== b.length) return [path];
    return a.flatMap((item, i) => differingPaths(item, b[i], `${path}.${i}`));
  }
  return Object.is(a, b) ? [] : [path];
}
