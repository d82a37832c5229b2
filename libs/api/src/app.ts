import swagger from '@fastify/swagger';
import swaggerUi from '@fastify/swagger-ui';
import Fastify, { type FastifyBaseLogger, type FastifyInstance } from 'fastify';
import helmet from 'helmet';
import { noopInstrumentation } from '@orrery/telemetry';
import { validatorCompiler, type ZodTypeProvider } from 'fastify-type-provider-zod';
import { authenticate } from './auth/authenticate.js';
import { AuthFailureBudget } from './auth/failure-budget.js';
import { authenticateWithinBudget, registerRateLimit } from './auth/rate-limits.js';
import { TenantKeyCache } from './auth/tenant-key-cache.js';
import type { ApiDeps } from './deps.js';
import { errorHandler } from './error-handler.js';
import { recordRequests } from './http-metrics.js';
import { guardInput } from './input-guard.js';
import { answerUnroutedEarly, notFoundHandler } from './not-found.js';
import { openApiOptions } from './openapi/document.js';
import { serializerCompiler } from './response-serializer.js';
import { v1Routes } from './routes/index.js';
import { healthRoutes } from './routes/health.js';
import { adminRoutes } from './routes/admin.js';
import { mcpRoutes } from './routes/mcp.js';
import { dashboardRoutes } from './routes/dashboard.js';

declare module 'fastify' {
  interface FastifyInstance {
    deps: ApiDeps;
    /** Tenants kept in memory for key checks; a route that changes a tenant forgets it. */
    tenantKeys: TenantKeyCache;
  }
}

/**
 * Builds the control-plane API (not listening: `main` listens, tests inject).
 * Every /v1 route is scoped to the tenant of the request's API key; requests
 * and answers are validated by the same zod schemas the OpenAPI document is
 * generated from.
 */
export async function buildApp(
  deps: ApiDeps,
  options: { logger?: FastifyBaseLogger | boolean } = {},
): Promise<FastifyInstance> {
  const app = Fastify({
    ...(typeof options.logger === 'object'
      ? { loggerInstance: options.logger }
      : { logger: options.logger ?? false }),
    bodyLimit: deps.bodyLimitBytes ?? 256 * 1024,
    routerOptions: {
      ignoreTrailingSlash: true,
      // Ids are up to 200 characters in the schemas; the router must not refuse them first.
      maxParamLength: 256,
    },
    // Malformed HTTP (oversized headers, a broken request line) never reaches a
    // route: answer it as problem JSON on the socket and close.
    clientErrorHandler: (error, socket) => {
      if (!socket.writable) return socket.destroy(error);
      const status = (error as { code?: string }).code === 'HPE_HEADER_OVERFLOW' ? 431 : 400;
      const body = JSON.stringify({
        type: '/problems/validation',
        title: status === 431 ? 'Request header fields too large' : 'Malformed request',
        status,
        detail:
          status === 431 ? 'the request headers are too large' : 'the request is not valid HTTP',
      });
      socket.end(
        `HTTP/1.1 ${status} ${status === 431 ? 'Request Header Fields Too Large' : 'Bad Request'}\r\n` +
          `content-type: application/problem+json\r\ncontent-length: ${Buffer.byteLength(body)}\r\n` +
          `connection: close\r\n\r\n${body}`,
      );
    },
    // Errors the router raises before any route runs (a malformed %-escape, …) are problems too.
    frameworkErrors: (error, request, reply) => {
      errorHandler(error, request, reply);
    },
    // SSE tails and idle keep-alive sockets must not hold up a shutdown.
    forceCloseConnections: true,
  }).withTypeProvider<ZodTypeProvider>();
  app.decorate('deps', deps);
  // First, so every answer is timed, whichever hook or route sends it.
  recordRequests(app, (deps.instrumentation ?? noopInstrumentation).meter);
  // Key checks read tenants from memory while LISTEN orrery_tenants is up (see TenantKeyCache).
  const tenantKeys = new TenantKeyCache({
    store: deps.store,
    connectionString: deps.connectionString,
    log: app.log,
  });
  app.decorate('tenantKeys', tenantKeys);
  app.addHook('onClose', () => tenantKeys.close());
  await tenantKeys.start();
  app.setValidatorCompiler(validatorCompiler);
  app.setSerializerCompiler(serializerCompiler);
  app.setErrorHandler(errorHandler);
  app.addHook('preValidation', guardInput);
  app.setNotFoundHandler(notFoundHandler(app));

  // Security headers on every answer, by helmet's middleware built once (its Fastify plugin built
  // it again for every request: a twentieth of a job read's CPU).
  const securityHeaders = helmet({
    // The docs UI loads its own scripts and styles; everything else is JSON.
    contentSecurityPolicy: {
      directives: {
        'script-src': ["'self'"],
        'img-src': ["'self'", 'data:'],
        // Orrery often runs on plain HTTP (embedded mode, behind a proxy): do not upgrade.
        'upgrade-insecure-requests': null,
      },
    },
  });
  app.addHook('onRequest', (request, reply, done) =>
    securityHeaders(request.raw, reply.raw, (error?: unknown) => done(error as Error | undefined)),
  );
  await registerRateLimit(app, deps.rateLimitPerMinute ?? 600);
  const failures = new AuthFailureBudget({
    perMinute: deps.authFailuresPerMinute ?? 60,
    now: deps.now,
  });
  await app.register(swagger, openApiOptions(deps.publicUrl));
  app.addHook('onRequest', answerUnroutedEarly(app));
  // Swagger UI rather than Scalar (@scalar/fastify-api-reference): both serve their scripts from
  // here, but Scalar's page starts itself with an inline script (refused by the CSP above unless it
  // is weakened), fetches its fonts from fonts.scalar.com and keeps a 5 MB bundle in memory in
  // every API process. Swagger UI works offline under `script-src 'self'` and shows each
  // operation's examples and the bearer scheme behind "Authorize".
  await app.register(swaggerUi, { routePrefix: '/docs' });

  app.get('/openapi.json', { schema: { hide: true } }, async () => app.swagger());
  await app.register(healthRoutes);
  await app.register(dashboardRoutes);
  await app.register(adminRoutes, { prefix: '/v1/admin', failures });
  await app.register(
    async (v1) => {
      v1.addHook('onRequest', async (request, reply) =>
        authenticateWithinBudget(failures, request, reply, () => authenticate(tenantKeys, request)),
      );
      await v1.register(v1Routes);
    },
    { prefix: '/v1' },
  );
  // The MCP server (streamable HTTP), scoped to the key's tenant like /v1.
  await app.register(mcpRoutes, { failures, root: app });
  return app;
}
