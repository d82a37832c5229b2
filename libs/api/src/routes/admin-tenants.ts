import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { listTenants, readTenant, tenantDetail } from '../reads/tenants.js';
import { page, problemAnswer, problemResponses } from '../schemas/common.js';
import {
  TenantDetailSchema,
  TenantListQuery,
  TenantParams,
  TenantReasonSchema,
  TenantSummarySchema,
} from '../schemas/tenants.js';
import { disableTenant, enableTenant } from '../tenants.js';

const responses = { ...problemResponses, 403: problemAnswer('Admin routes are disabled') };
const tags = ['admin'];

/** Tenants as the operator sees them: list, show, disable, enable (under the admin guard). */
export const adminTenantRoutes: FastifyPluginAsyncZod = async (app) => {
  const { store, events } = app.deps;
  const one = { params: TenantParams, response: { 200: TenantDetailSchema, ...responses } };

  app.get(
    '/tenants',
    {
      schema: {
        tags,
        operationId: 'listTenants',
        summary: 'List tenants (oldest first, cursor-paginated)',
        description:
          'Lists every tenant in creation order with its status, read from the log (a tenant ' +
          'created or disabled a moment ago is listed as it is now).',
        querystring: TenantListQuery,
        response: { 200: page(TenantSummarySchema), ...responses },
      },
    },
    async (request) => listTenants(events, request.query),
  );

  app.get(
    '/tenants/:tenantId',
    {
      schema: {
        tags,
        operationId: 'getTenant',
        summary: 'Get a tenant, its status and its keys',
        description:
          'Reads a tenant: its name, whether it is disabled (why, by whom, since when) and ' +
          'every API key it was given, by id and name, with when each was created and revoked. ' +
          'Neither keys nor their hashes are ever shown.',
        ...one,
      },
    },
    async (request) => tenantDetail(await readTenant(store, request.params.tenantId)),
  );

  app.post(
    '/tenants/:tenantId/disable',
    {
      schema: {
        tags,
        operationId: 'disableTenant',
        summary: 'Disable a tenant (its keys are refused at once)',
        description:
          'Disables the tenant: from this answer on, every request with one of its keys is ' +
          'refused with 403. Its jobs, endpoints, keys and history are kept. Disabling a ' +
          'disabled tenant is a no-op (the first reason stays).',
        body: TenantReasonSchema.nullish(),
        ...one,
      },
    },
    async (request) => {
      const tenant = await disableTenant(
        store,
        request.params.tenantId,
        request.body?.reason ?? '',
      );
      app.tenantKeys.forget(request.params.tenantId);
      return tenantDetail(tenant);
    },
  );

  app.post(
    '/tenants/:tenantId/enable',
    {
      schema: {
        tags,
        operationId: 'enableTenant',
        summary: 'Enable a disabled tenant',
        description:
          "Lifts the disable: the tenant's keys that are not revoked work again at once. " +
          'Enabling an active tenant is a no-op.',
        body: TenantReasonSchema.nullish(),
        ...one,
      },
    },
    async (request) => {
      const tenant = await enableTenant(store, request.params.tenantId, request.body?.reason ?? '');
      app.tenantKeys.forget(request.params.tenantId);
      return tenantDetail(tenant);
    },
  );
};
