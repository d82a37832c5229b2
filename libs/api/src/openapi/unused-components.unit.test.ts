import { describe, expect, it } from 'vitest';
import { withoutUnusedComponents } from './unused-components.js';

const ref = (name: string) => ({ $ref: `#/components/schemas/${name}` });

describe('withoutUnusedComponents', () => {
  it('keeps the schemas operations reach (through other schemas too) and drops the rest', () => {
    const document = {
      openapi: '3.1.0',
      paths: {
        '/jobs': {
          post: {
            requestBody: { content: { 'application/json': { schema: ref('JobCreateInput') } } },
            responses: { 201: { content: { 'application/json': { schema: ref('Job') } } } },
          },
        },
      },
      components: {
        securitySchemes: { apiKey: { type: 'http', scheme: 'bearer' } },
        schemas: {
          JobCreateInput: { type: 'object' },
          Job: { type: 'object', properties: { paused: ref('Pause') } },
          Pause: { type: 'object' },
          JobInput: { type: 'object', properties: { paused: ref('PauseInput') } },
          PauseInput: { type: 'object' },
        },
      },
    };
    const pruned = withoutUnusedComponents(document);
    expect(Object.keys(pruned.components.schemas).sort()).toEqual([
      'Job',
      'JobCreateInput',
      'Pause',
    ]);
    expect(pruned.components.securitySchemes).toEqual(document.components.securitySchemes);
    expect(pruned.paths).toEqual(document.paths);
  });

  it('keeps a schema that refers to itself, once something else uses it', () => {
    const tree = { type: 'object', properties: { children: { items: ref('Tree') } } };
    const pruned = withoutUnusedComponents({
      paths: { '/t': { get: { responses: { 200: { schema: ref('Tree') } } } } },
      components: { schemas: { Tree: tree, Orphan: { properties: { t: ref('Tree') } } } },
    });
    expect(pruned.components.schemas).toEqual({ Tree: tree });
  });
});
