import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { authenticateAdmin } from '../auth/authenticate.js';
import type { AuthFailureBudget } from '../auth/failure-budget.js';
import { authenticateWithinBudget } from '../auth/rate-limits.js';
import { problemAnswer, problemResponses, requestBody, responseBody } from '../schemas/common.js';
import { KeyId, TenantId } from '../schemas/tenants.js';
import { createApiKey, createTenant, revokeApiKey } from '../tenants.js';
import { adminReplayRoutes } from './admin-replay.js';
import { adminTenantRoutes } from './admin-tenants.js';

const responses = { ...problemResponses, 403: problemAnswer('Admin routes are disabled') };

/**
 * Tenants and API keys, guarded by the admin key (ORRERY_ADMIN_KEY). A wrong admin key spends
 * the client address's failed-authentication budget (`failures`), shared with /v1, so the admin
 * key cannot be guessed faster than a tenant key.
 */
export const adminRoutes: FastifyPluginAsyncZod<{ failures: AuthFailureBudget }> = async (
  app,
  { failures },
) => {
  const { store } = app.deps;
  app.addHook('onRequest', async (request, reply) =>
    authenticateWithinBudget(failures, request, reply, () =>
      authenticateAdmin(app.deps.adminKey, request),
    ),
  );
  await app.register(adminTenantRoutes);
  await app.register(adminReplayRoutes);

  app.post(
    '/tenants',
    {
      schema: {
        tags: ['admin'],
        operationId: 'createTenant',
        summary: 'Create a tenant',
        description: 'Creates a tenant with a lowercase id; an id that exists answers 409.',
        body: requestBody(
          z.strictObject({ id: TenantId, name: z.string().min(1).max(200) }),
          'TenantCreate',
          [{ id: 'acme-logistics', name: 'Acme Logistics' }],
        ),
        response: {
          201: responseBody(z.object({ id: z.string(), name: z.string() }), 'Tenant', [
            { id: 'acme-logistics', name: 'Acme Logistics' },
          ]),
          ...responses,
        },
      },
    },
    async (request, reply) =>
      reply.status(201).send(await createTenant(store, request.body.id, request.body.name)),
  );

  app.post(
    '/tenants/:tenantId/keys',
    {
      schema: {
        tags: ['admin'],
        operationId: 'createApiKey',
        summary: 'Create an API key for a tenant (the key is shown once)',
        description:
          'Creates a key for the tenant. Only a hash is stored: the `key` in this answer cannot ' +
          'be read again.',
        params: z.strictObject({ tenantId: TenantId }),
        body: requestBody(
          z.strictObject({ name: z.string().max(200).default('') }),
          'ApiKeyCreate',
          [{ name: 'deploy pipeline' }],
        ),
        response: {
          201: responseBody(
            z.object({ keyId: z.string(), key: z.string(), name: z.string() }),
            'NewApiKey',
            [
              {
                keyId: '7c41d9e2a0b3',
                key: 'ork_acme-logistics.7c41d9e2a0b3.eUgpTBIrfzstQe27RloX-_Ke2SRq0vr26_e3OuBeLeo',
                name: 'deploy pipeline',
              },
            ],
          ),
          ...responses,
        },
      },
    },
    async (request, reply) =>
      reply.status(201).send(await createApiKey(store, request.params.tenantId, request.body.name)),
  );

  app.delete(
    '/tenants/:tenantId/keys/:keyId',
    {
      schema: {
        tags: ['admin'],
        operationId: 'revokeApiKey',
        summary: 'Revoke an API key (effective immediately)',
        description: 'Revokes a key: the next request made with it answers 401.',
        params: z.strictObject({ tenantId: TenantId, keyId: KeyId }),
        response: {
          200: z
            .object({ keyId: z.string(), revoked: z.literal(true) })
            .meta({ examples: [{ keyId: '7c41d9e2a0b3', revoked: true }] }),
          ...responses,
        },
      },
    },
    async (request) => {
      const revoked = await revokeApiKey(store, request.params.tenantId, request.params.keyId);
      // Other API processes drop the tenant when Postgres notifies them of the revocation.
      app.tenantKeys.forget(request.params.tenantId);
      return revoked;
    },
  );
};
