import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { buildApp } from '../app.js';
import type { ApiDeps } from '../deps.js';

interface Document {
  paths: Record<string, Record<string, { requestBody?: { content: Record<string, unknown> } }>>;
  components: { schemas: Record<string, { examples?: unknown[] }> };
}

/** The component a request body refers to (also through `anyOf` for an optional body). */
const componentOf = (body: unknown): string | undefined =>
  /"#\/components\/schemas\/([^"]+)"/.exec(JSON.stringify(body))?.[1];

describe('request body examples in the OpenAPI document', () => {
  it('every request body has an example, and the zod schema that guards the route accepts it', async () => {
    // Handlers never run here, so the deps are a stub.
    const app = await buildApp({ now: Date.now } as unknown as ApiDeps);
    await app.ready();
    const doc = app.swagger() as unknown as Document;
    await app.close();

    const bodies = Object.entries(doc.paths).flatMap(([path, item]) =>
      Object.entries(item)
        .filter(([, operation]) => operation.requestBody)
        .map(([method, operation]) => ({
          route: `${method.toUpperCase()} ${path}`,
          component: componentOf(operation.requestBody) ?? '(inline)',
        })),
    );
    expect(bodies.length).toBeGreaterThan(10);
    const withoutExamples = bodies.filter(
      ({ component }) => (doc.components.schemas[component]?.examples ?? []).length === 0,
    );
    expect(withoutExamples).toEqual([]);

    const refused = bodies.flatMap(({ route, component }) => {
      // The type provider names a request component `<id>Input`; `<id>` is the zod registry's key.
      const schema = z.globalRegistry._idmap.get(component.replace(/Input$/, ''));
      if (!schema) return [`${route}: no zod schema registered as ${component}`];
      return (doc.components.schemas[component]?.examples ?? [])
        .map((example) => ({ example, result: z.safeParse(schema, example) }))
        .filter(({ result }) => !result.success)
        .map(({ example, result }) => `${route}: ${JSON.stringify(example)}: ${result.error}`);
    });
    expect(refused).toEqual([]);
  });
});
