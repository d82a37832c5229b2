import fastifyStatic from '@fastify/static';
import { DASHBOARD_BUILD_COMMAND, dashboardBuilt, dashboardDir } from '@orrery/dashboard';
import type { FastifyPluginAsync } from 'fastify';

/**
 * The operator dashboard at /ui: the built single-page app (hashed assets cached for good, the
 * page itself never). It signs in with an API key and calls /v1 like any client. When it has not
 * been built, /ui says how to build it instead.
 */
export const dashboardRoutes: FastifyPluginAsync<{ dir?: string }> = async (app, options) => {
  const dir = options.dir ?? dashboardDir;
  if (!dashboardBuilt(dir)) {
    const page =
      '<!doctype html><html lang="en"><title>Orrery dashboard not built</title>' +
      `<p>The dashboard has not been built. Run <code>${DASHBOARD_BUILD_COMMAND}</code> ` +
      '(<code>npm ci</code> and <code>npm install</code> do it) and restart.</p></html>';
    const notBuilt = { schema: { hide: true } };
    app.get('/ui', notBuilt, async (_request, reply) =>
      reply.status(503).type('text/html; charset=utf-8').send(page),
    );
    app.get('/ui/*', notBuilt, async (_request, reply) =>
      reply.status(503).type('text/html; charset=utf-8').send(page),
    );
    return;
  }
  await app.register(fastifyStatic, {
    root: dir,
    prefix: '/ui/',
    index: 'index.html',
    wildcard: true,
    schemaHide: true,
    cacheControl: false,
    setHeaders: (reply, path) => {
      reply.header(
        'cache-control',
        path.includes('/assets/') ? 'public, max-age=31536000, immutable' : 'no-cache',
      );
    },
  });
  // `/ui` (no slash) is the address the banner prints: the same page.
  app.get('/ui', { schema: { hide: true } }, async (_request, reply) =>
    reply.header('cache-control', 'no-cache').sendFile('index.html'),
  );
};
