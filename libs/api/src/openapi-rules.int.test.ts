import { Ajv2020 } from 'ajv/dist/2020.js';
import { beforeAll, describe, expect, it } from 'vitest';
import { useApiHarness } from './test-support/api-harness.js';

const api = useApiHarness();

interface Parameter {
  in: string;
  name: string;
  explode?: boolean;
  schema: { type?: string };
}
interface Operation {
  parameters?: Parameter[];
  requestBody?: { content: { 'application/json': { schema: unknown } } };
}
interface Document {
  paths: Record<string, Record<string, Operation>>;
  components: { schemas: Record<string, unknown> };
}

/**
 * A JSON Schema validator over the served document: `#/components/schemas/X`
 * references resolve to the document's components. Formats are not checked
 * (the patterns beside them are).
 */
function documentValidator(doc: Document) {
  const ajv = new Ajv2020({ strict: false, validateFormats: false });
  const local = (schema: unknown): object =>
    JSON.parse(JSON.stringify(schema).replaceAll('"#/components/schemas/', '"doc#/$defs/'));
  ajv.addSchema({ $id: 'doc', $defs: local(doc.components.schemas) });
  return (schema: unknown, value: unknown) => ajv.validate(local(schema), value);
}

describe('rules the server enforces, stated in the document', () => {
  let doc: Document;
  let valid: ReturnType<typeof documentValidator>;
  let endpointPath = '';
  let realCursor = '';
  beforeAll(async () => {
    doc = (await api().request('GET', '/openapi.json', { key: null })).body as Document;
    valid = documentValidator(doc);
    const { body: job } = await api().request('POST', '/v1/jobs', { body: { name: 'rules' } });
    await api().request('POST', '/v1/jobs', { body: { name: 'rules, too' } });
    const endpoint = await api().request('POST', `/v1/jobs/${job.id}/endpoints`, {
      body: {
        name: 'hook',
        request: { url: 'http://127.0.0.1:9/hook' },
        baseline: { kind: 'interval', everyMs: 3_600_000 },
      },
    });
    endpointPath = `/v1/endpoints/${endpoint.body.id}`;
    await api().catchUp();
    realCursor = (await api().request('GET', '/v1/jobs?limit=1')).body.nextCursor;
  });

  /** The document's verdict on a JSON body, and the server's (2xx or 400). */
  async function bodyVerdicts(path: string, template: string, body: unknown) {
    const operation = doc.paths[template]?.post;
    const schema = operation?.requestBody?.content['application/json'].schema;
    expect(schema, `POST ${template} documents a JSON body`).toBeDefined();
    const response = await api().request('POST', path, { body });
    return { document: valid(schema, body), server: response.status < 300 };
  }

  /** The same for a query string, read as the document says (form style, exploded or not). */
  async function queryVerdicts(path: string, query: Record<string, string>) {
    const parameters = doc.paths[path]?.get?.parameters ?? [];
    const document = Object.entries(query).every(([name, raw]) => {
      const parameter = parameters.find((p) => p.in === 'query' && p.name === name);
      if (!parameter) return false;
      const array = parameter.schema.type === 'array' && parameter.explode === false;
      return valid(parameter.schema, array ? raw.split(',') : raw);
    });
    const response = await api().request('GET', `${path}?${new URLSearchParams(query)}`);
    return { document, server: response.status < 300 };
  }

  it('a one-shot hint takes runAt or inMs, never both', async () => {
    const hints = `${endpointPath}/hints`;
    const template = '/v1/endpoints/{endpointId}/hints';
    const runAt = new Date(Date.now() + 3_600_000).toISOString();
    const both = { kind: 'oneShot', runAt, inMs: 60_000 };
    expect(await bodyVerdicts(hints, template, both)).toEqual({ document: false, server: false });
    for (const one of [{ runAt }, { inMs: 60_000 }, {}]) {
      const body = { kind: 'oneShot', ...one };
      expect(await bodyVerdicts(hints, template, body), JSON.stringify(body)).toEqual({
        document: true,
        server: true,
      });
    }
  });

  it('an event type filter names types of the catalogue, comma-separated', async () => {
    for (const [type, known] of [
      ['Paused', true],
      ['Paused,Resumed,JobCreated', true],
      ['Paused,Nope', false],
      ['paused', false],
    ] as const) {
      expect(await queryVerdicts('/v1/events', { type }), type).toEqual({
        document: known,
        server: known,
      });
    }
    // Clients that repeat the parameter (openapi-fetch's default for arrays) are understood too.
    const repeated = await api().request('GET', '/v1/events?type=JobCreated&type=Paused');
    expect(repeated.status).toBe(200);
    expect(repeated.body.items.map((e: { type: string }) => e.type)).toContain('JobCreated');
  });

  it('a cursor is the base64url text a previous page gave', async () => {
    expect(realCursor).toMatch(/./);
    expect(await queryVerdicts('/v1/jobs', { cursor: realCursor })).toEqual({
      document: true,
      server: true,
    });
    for (const cursor of ['', 'a.b', 'eyJ4Ijox fQ', '=='.repeat(3)]) {
      expect(await queryVerdicts('/v1/jobs', { cursor }), cursor).toEqual({
        document: false,
        server: false,
      });
    }
  });
});
