import { Ajv2020 } from 'ajv/dist/2020.js';
import addFormats from 'ajv-formats';
import { beforeAll, describe, expect, it } from 'vitest';
import { buildApp } from '../app.js';
import type { ApiDeps } from '../deps.js';

type Schema = Record<string, unknown>;
interface Media {
  schema?: Schema;
  example?: unknown;
  examples?: Record<string, { value: unknown }>;
}
interface Operation {
  requestBody?: { content: Record<string, Media> };
  responses: Record<string, { content?: Record<string, Media> }>;
}
interface Document {
  paths: Record<string, Record<string, Operation>>;
  components: { schemas: Record<string, Schema>; securitySchemes: Record<string, Schema> };
}

/** A body's examples: the media type's, else its schema's, else the component's it refers to. */
function examplesOf(media: Media, doc: Document): unknown[] {
  if (media.example !== undefined) return [media.example];
  if (media.examples) return Object.values(media.examples).map((e) => e.value);
  const schema = media.schema ?? {};
  if (schema['example'] !== undefined) return [schema['example']];
  if (Array.isArray(schema['examples'])) return schema['examples'] as unknown[];
  // A component directly, or inside `anyOf` for an optional body.
  const ref = /"#\/components\/schemas\/([^"]+)"/.exec(JSON.stringify(schema))?.[1];
  const component = ref === undefined ? undefined : doc.components.schemas[ref];
  return Array.isArray(component?.['examples']) ? (component['examples'] as unknown[]) : [];
}

/** Every request body and 2xx answer of the document, with its examples. */
function bodies(doc: Document) {
  return Object.entries(doc.paths).flatMap(([path, item]) =>
    Object.entries(item).flatMap(([method, operation]) => {
      const route = `${method.toUpperCase()} ${path}`;
      const answers = Object.entries(operation.responses)
        .filter(([status]) => status.startsWith('2'))
        .flatMap(([status, answer]) =>
          Object.entries(answer.content ?? {}).map(([type, media]) => ({
            where: `${route} ${status} ${type}`,
            media,
          })),
        );
      const requests = Object.entries(operation.requestBody?.content ?? {}).map(
        ([type, media]) => ({ where: `${route} request ${type}`, media }),
      );
      return [...requests, ...answers];
    }),
  );
}

describe('examples in the OpenAPI document', () => {
  let doc: Document;
  beforeAll(async () => {
    // Handlers never run here, so the deps are a stub.
    const app = await buildApp({ now: Date.now } as unknown as ApiDeps);
    await app.ready();
    doc = app.swagger() as unknown as Document;
    await app.close();
  });

  it('every request body and every 2xx answer has an example', () => {
    const all = bodies(doc);
    expect(all.length).toBeGreaterThan(50);
    const without = all.filter(({ media }) => examplesOf(media, doc).length === 0);
    expect(without.map(({ where }) => where)).toEqual([]);
  });

  it('every example is valid against the schema it illustrates', () => {
    const ajv = new Ajv2020({ strict: false, allErrors: true });
    addFormats.default(ajv);
    // The document's schemas refer to components as #/components/schemas/…: resolve them there.
    ajv.addSchema({ components: doc.components }, 'doc');
    const invalid = bodies(doc).flatMap(({ where, media }) => {
      if (media.schema === undefined) return [];
      const schema = JSON.parse(
        JSON.stringify(media.schema).replaceAll('"#/components/', '"doc#/components/'),
      ) as Schema;
      const validate = ajv.compile(schema);
      return examplesOf(media, doc)
        .filter((example) => !validate(example))
        .map(
          (example) => `${where}: ${ajv.errorsText(validate.errors)} in ${JSON.stringify(example)}`,
        );
    });
    expect(invalid).toEqual([]);
  }, 60_000);

  it('the bearer scheme says how to get a key', () => {
    const scheme = doc.components.securitySchemes['apiKey'];
    expect(scheme).toMatchObject({ type: 'http', scheme: 'bearer' });
    expect(scheme?.['description']).toContain('npm run orrery -- key create <tenant>');
  });
});
