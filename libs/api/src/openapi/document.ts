import type { SwaggerOptions } from '@fastify/swagger';
import { jsonSchemaTransform, jsonSchemaTransformObject } from 'fastify-type-provider-zod';
import type { OpenAPIV3_1 } from 'openapi-types';
import { withoutUnusedComponents } from './unused-components.js';

/**
 * The tags of the document, in the order the docs show them. Every operation
 * names exactly one of them (the OpenAPI test fails otherwise).
 */
export const apiTags = [
  { name: 'jobs', description: 'Groups of endpoints, paused, resumed and archived together.' },
  {
    name: 'endpoints',
    description:
      'HTTP requests Orrery calls on a baseline schedule, and why each runs when it does.',
  },
  {
    name: 'hints',
    description:
      'Time-bounded nudges to a schedule (an interval or a one-shot run), run now, test runs.',
  },
  {
    name: 'dependencies',
    description:
      'Edges between endpoints (across jobs): triggers, gates and breakers, and the graph view.',
  },
  { name: 'runs', description: 'Every dispatched run and the response it recorded.' },
  { name: 'events', description: 'The append-only audit log of the tenant, paged or live.' },
  {
    name: 'conflicts',
    description:
      'Proposals the arbiter refused — from users, cascades, agents and planners — with the rule and ' +
      'the decision they met.',
  },
  {
    name: 'planner',
    description:
      'Planner sessions: what each analysis saw, reasoned and proposed, and the outcome.',
  },
  {
    name: 'pipelines',
    description:
      'Whole pipelines — jobs, endpoints and the edges between them — applied as one document.',
  },
  {
    name: 'what-if',
    description:
      'Recorded history re-run with a changed configuration, compared with what happened.',
  },
  {
    name: 'admin',
    description: 'Tenants, their API keys, and replays of the log (guarded by the admin key).',
  },
  { name: 'health', description: 'Liveness and readiness probes (no API key).' },
] as const satisfies readonly OpenAPIV3_1.TagObject[];

const description = `Adaptive HTTP job scheduler: register endpoints in jobs, let Orrery call them on
time, steer their schedules with hints, and audit every decision in the event log.

- **Authentication**: every request but the health probes needs \`Authorization: Bearer <API key>\`
  (a tenant's \`ork_…\` key; \`/v1/admin\` takes the admin key). Every id is scoped to the
  key's tenant: another tenant's ids answer 404.
- **Errors** are RFC 9457 problem JSON (\`application/problem+json\`) with a stable \`type\`;
  a 400 lists the offending fields as dotted paths in \`errors\`.
- **Strings** may not contain NUL (U+0000) or unpaired UTF-16 surrogates, anywhere in the path,
  query or body (object keys too): such a request answers 400 naming the field.
- **Pagination**: a list answers \`{items, nextCursor}\`; pass \`nextCursor\` back as \`cursor\`
  (\`after\` for events) until it is null. Cursors are opaque.
- **Methods**: a known path asked with a method it does not serve answers 405 with \`Allow\`.`;

/**
 * The @fastify/swagger options: OpenAPI 3.1 generated from the routes' zod
 * schemas, with only the components the operations use.
 *
 * @param publicUrl - the URL announced in `servers`; without it the server is
 *   `/`, the origin the document was fetched from.
 */
export function openApiOptions(publicUrl: string | undefined): SwaggerOptions {
  return {
    openapi: {
      openapi: '3.1.0',
      info: { title: 'Orrery control plane', version: '1.0.0', description },
      servers: [
        publicUrl
          ? { url: publicUrl, description: 'This deployment' }
          : { url: '/', description: 'The origin this document was served from' },
      ],
      tags: [...apiTags],
      components: {
        securitySchemes: {
          apiKey: {
            type: 'http',
            scheme: 'bearer',
            description:
              "A tenant's API key (`ork_…`), as `Authorization: Bearer <key>`. `npm start` prints " +
              'one for the tenant `default` (and keeps it in `.orrery/api-key`); make one with ' +
              '`npm run orrery -- key create <tenant>`, or `POST /v1/admin/tenants/{tenantId}/keys` ' +
              'with the admin key.',
          },
        },
      },
      security: [{ apiKey: [] }],
    },
    transform: jsonSchemaTransform,
    transformObject: (input) => withoutUnusedComponents(jsonSchemaTransformObject(input)),
  };
}
