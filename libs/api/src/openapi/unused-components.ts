const SCHEMA_REF = '#/components/schemas/';

/** The names of every `#/components/schemas/…` reference in a JSON value. */
function referencedSchemas(value: unknown, found = new Set<string>()): Set<string> {
  if (Array.isArray(value)) {
    for (const item of value) referencedSchemas(item, found);
  } else if (value !== null && typeof value === 'object') {
    for (const [key, child] of Object.entries(value)) {
      if (key === '$ref' && typeof child === 'string' && child.startsWith(SCHEMA_REF)) {
        found.add(decodeURIComponent(child.slice(SCHEMA_REF.length)));
      } else {
        referencedSchemas(child, found);
      }
    }
  }
  return found;
}

/**
 * The document with only the schema components that something outside
 * `components.schemas` references, directly or through other schemas.
 *
 * Every zod schema with a `.meta({ id })` is registered globally, and the
 * type provider emits each one twice (as `Name` for answers and `NameInput`
 * for requests) whether a route uses it or not; the unused half is noise for
 * readers and linters.
 */
export function withoutUnusedComponents<T extends object>(document: T): T {
  const { components, ...rest } = document as { components?: { schemas?: object } };
  const schemas = (components?.schemas ?? {}) as Record<string, unknown>;
  const used = referencedSchemas({ ...rest, components: { ...components, schemas: {} } });
  // Follow references between schemas until no new name turns up.
  const pending = [...used];
  for (let name = pending.pop(); name !== undefined; name = pending.pop()) {
    for (const next of referencedSchemas(schemas[name])) {
      if (!used.has(next)) {
        used.add(next);
        pending.push(next);
      }
    }
  }
  const kept = Object.fromEntries(Object.entries(schemas).filter(([name]) => used.has(name)));
  return { ...document, components: { ...components, schemas: kept } };
}
