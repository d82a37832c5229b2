import { Validator } from '@seriousme/openapi-schema-validator';
import type { FastifyInstance } from 'fastify';
import { beforeAll, describe, expect, it } from 'vitest';
import { buildApp } from './app.js';
import type { ApiDeps } from './deps.js';
import { useApiHarness } from './test-support/api-harness.js';

const api = useApiHarness();

type Content = Record<string, { schema?: { $ref?: string } }>;
interface Operation {
  operationId?: string;
  description?: string;
  tags?: string[];
  parameters?: { in: string; name: string; required?: boolean; schema?: Record<string, unknown> }[];
  requestBody?: { content?: Content };
  responses?: Record<string, { content?: Content }>;
  security?: Record<string, string[]>[];
}
interface Document {
  openapi: string;
  security?: Record<string, string[]>[];
  tags?: { name: string; description?: string }[];
  paths: Record<string, Record<string, Operation>>;
  components: { schemas: Record<string, unknown> };
}

/** Served for humans and tools, not part of the API the document describes. */
/** Not operations of the control plane: the document, the docs UI, the MCP server (JSON-RPC). */
const undocumented = (path: string) =>
  path === '/openapi.json' ||
  path.startsWith('/docs') ||
  path === '/mcp' ||
  // The dashboard's page and assets (libs/dashboard), like the docs UI.
  path.startsWith('/ui');
/** The probes answer without an API key. */
const PUBLIC_PATHS = ['/healthz', '/readyz'];
const PROBLEM_REF = '#/components/schemas/Problem';

/**
 * Every route of the app as `METHOD /path/{param}`, read from Fastify's route
 * tree (`printRoutes`): a line is a node, indented 4 characters per level, its
 * text appended to its parent's path (a child may continue a segment: `/run` → `s`).
 * The HEAD routes Fastify adds for each GET are left out.
 */
function servedRoutes(app: FastifyInstance): string[] {
  const routes: string[] = [];
  const prefixes: string[] = [];
  for (const line of app.printRoutes({ commonPrefix: false }).split('\n')) {
    if (line.trim() === '') continue;
    const match = /^((?:│ {3}| {4})*)[├└]── (.*?)(?: \(([A-Z, ]+)\))?$/u.exec(line);
    if (!match) throw new Error(`unexpected line in the route tree: ${JSON.stringify(line)}`);
    const depth = (match[1] ?? '').length / 4;
    const path = (prefixes[depth - 1] ?? '') + (match[2] ?? '');
    prefixes[depth] = path;
    prefixes.length = depth + 1;
    for (const method of (match[3] ?? '').split(', ').filter(Boolean)) {
      if (method === 'HEAD' || undocumented(path)) continue;
      // Guard the parser: each route it reads must be one the router has.
      if (!app.hasRoute({ method, url: path })) throw new Error(`misread route ${method} ${path}`);
      routes.push(`${method} ${path.replace(/:(\w+)/g, '{$1}')}`);
    }
  }
  return routes.sort();
}

const schemaOf = (content: Content | undefined) => Object.values(content ?? {})[0]?.schema;
const statusesOf = (operation: Operation, pattern: RegExp) =>
  Object.entries(operation.responses ?? {}).filter(([status]) => pattern.test(status));

/** Rules every operation must keep: each maps to the routes that break it (all empty: sound). */
function audit(doc: Document, served: readonly string[]): Record<string, string[]> {
  const operations = Object.entries(doc.paths).flatMap(([path, item]) =>
    Object.entries(item).map(([method, operation]) => ({
      route: `${method.toUpperCase()} ${path}`,
      path,
      method: method.toUpperCase(),
      operation,
    })),
  );
  const documented = operations.map((op) => op.route);
  const breaking = (rule: (op: (typeof operations)[number]) => boolean) =>
    operations.filter((op) => !rule(op)).map((op) => op.route);
  const knownTags = (doc.tags ?? []).filter((tag) => tag.description).map((tag) => tag.name);
  const operationIds = operations.map((op) => op.operation.operationId);
  return {
    'served but not documented': served.filter((route) => !documented.includes(route)),
    'documented but not served': documented.filter((route) => !served.includes(route)),
    // The typed client names its `operations` by operationId: camelCase verb + noun, unique.
    'no camelCase operationId, or one used twice': breaking(({ operation: { operationId } }) =>
      operationId === undefined
        ? false
        : /^[a-z]+[A-Z][A-Za-z]*$/.test(operationId) &&
          operationIds.indexOf(operationId) === operationIds.lastIndexOf(operationId),
    ),
    'no description': breaking(({ operation }) => (operation.description ?? '').trim() !== ''),
    'not exactly one tag, declared with a description at the top level': breaking(
      ({ operation }) =>
        operation.tags?.length === 1 && knownTags.includes(operation.tags[0] ?? ''),
    ),
    'writes without a JSON body schema, or reads with a body': breaking(({ method, operation }) =>
      ['POST', 'PUT', 'PATCH'].includes(method)
        ? operation.requestBody?.content?.['application/json']?.schema !== undefined
        : operation.requestBody === undefined,
    ),
    // A declared params schema constrains the value; without one the parameter is a bare string.
    'path parameters without a validating schema': breaking(({ path, operation }) =>
      [...path.matchAll(/\{(\w+)\}/g)].every(([, name]) => {
        const param = operation.parameters?.find((p) => p.in === 'path' && p.name === name);
        return param?.required === true && typeof param.schema?.['pattern'] === 'string';
      }),
    ),
    'parameters without a schema': breaking(({ operation }) =>
      (operation.parameters ?? []).every((p) => p.schema !== undefined),
    ),
    // 204 No Content is the one success that has no body to describe.
    'no response schema for success': breaking(({ operation }) =>
      statusesOf(operation, /^2\d\d$/).some(
        ([status, response]) => status === '204' || schemaOf(response.content),
      ),
    ),
    'error answers that are not the Problem schema': breaking(({ operation }) =>
      statusesOf(operation, /^[45]\d\d$/).every(
        ([, response]) => schemaOf(response.content)?.$ref === PROBLEM_REF,
      ),
    ),
    'missing 400/401/404/429 (403 for admin) or a security requirement': breaking(
      ({ path, operation }) => {
        const security = operation.security ?? doc.security ?? [];
        if (PUBLIC_PATHS.includes(path)) return security.length === 0;
        const statuses = Object.keys(operation.responses ?? {});
        const needed = [
          '400',
          '401',
          '404',
          '429',
          ...(path.startsWith('/v1/admin') ? ['403'] : []),
        ];
        return needed.every((s) => statuses.includes(s)) && security.length > 0;
      },
    ),
  };
}

const sound = (report: Record<string, string[]>) =>
  Object.fromEntries(Object.keys(report).map((rule) => [rule, []]));

describe('the OpenAPI document (GET /openapi.json)', () => {
  let doc: Document;
  beforeAll(async () => {
    const response = await api().request('GET', '/openapi.json', { key: null });
    expect(response.status).toBe(200);
    doc = response.body as Document;
  });

  it('is a valid OpenAPI 3.1 document', async () => {
    expect(doc.openapi).toMatch(/^3\.1\./);
    const result = await new Validator().validate(doc as unknown as Record<string, unknown>);
    expect(result.errors ?? [], JSON.stringify(result.errors, null, 2)).toEqual([]);
    expect(result.valid).toBe(true);
  });

  it('documents every route the app serves with request, success and problem schemas', () => {
    const served = servedRoutes(api().app);
    expect(served).toContain('POST /v1/jobs/{jobId}/endpoints');
    expect(served).toContain('GET /v1/endpoints/{endpointId}/runs');
    const report = audit(doc, served);
    expect(report).toEqual(sound(report));
    expect(doc.components.schemas['Problem']).toMatchObject({
      required: expect.arrayContaining(['type', 'title', 'status', 'detail']),
    });
  });

  it('catches an operationId used twice and a tag the document does not declare', async () => {
    const app = await buildApp({ now: Date.now } as unknown as ApiDeps);
    const schema = (tag: string) => ({ operationId: 'getJob', description: 'd', tags: [tag] });
    app.get('/v1/twin/:id', { schema: schema('jobs') }, async () => ({}));
    app.get('/v1/stray/:id', { schema: schema('strays') }, async () => ({}));
    await app.ready();
    const report = audit(app.swagger() as unknown as Document, servedRoutes(app));
    await app.close();
    expect(report['no camelCase operationId, or one used twice']).toEqual([
      'GET /v1/jobs/{jobId}',
      'GET /v1/twin/{id}',
      'GET /v1/stray/{id}',
    ]);
    expect(report['not exactly one tag, declared with a description at the top level']).toEqual([
      'GET /v1/stray/{id}',
    ]);
  });

  it('catches a route added without schemas (the audit can fail)', async () => {
    // Handlers never run here, so the deps are a stub.
    const app = await buildApp({ now: Date.now } as unknown as ApiDeps);
    app.post('/v1/bare/:id', async () => ({ ok: true }));
    await app.ready();
    const report = audit(app.swagger() as unknown as Document, servedRoutes(app));
    await app.close();
    const route = 'POST /v1/bare/{id}';
    expect(report['no camelCase operationId, or one used twice']).toEqual([route]);
    expect(report['no description']).toEqual([route]);
    expect(report['not exactly one tag, declared with a description at the top level']).toEqual([
      route,
    ]);
    expect(report['writes without a JSON body schema, or reads with a body']).toEqual([route]);
    expect(report['path parameters without a validating schema']).toEqual([route]);
    expect(report['no response schema for success']).toEqual([route]);
    expect(report['missing 400/401/404/429 (403 for admin) or a security requirement']).toEqual([
      route,
    ]);
  });

  it('documents problem answers with the media type they are sent with', () => {
    const wrong = Object.entries(doc.paths).flatMap(([path, item]) =>
      Object.entries(item)
        .filter(([, operation]) =>
          statusesOf(operation, /^[45]\d\d$/).some(
            ([, response]) => Object.keys(response.content ?? {})[0] !== 'application/problem+json',
          ),
        )
        .map(([method]) => `${method.toUpperCase()} ${path}`),
    );
    expect(wrong).toEqual([]);
  });
});
