import type { FastifyInstance, FastifyReply, FastifyRequest, HTTPMethods } from 'fastify';
import { problem } from './problem.js';

/**
 * The methods the app serves on a concrete path (`/v1/jobs/abc`), asked of
 * Fastify's own router, so the answer always matches the routes. HEAD comes
 * with every GET (Fastify adds it).
 */
export function allowedMethods(app: FastifyInstance, path: string): string[] {
  return app.supportedMethods.filter((method) => {
    try {
      return app.findRoute({ method: method as HTTPMethods, url: path }) !== null;
    } catch {
      // A path the router cannot decode matches no route.
      return false;
    }
  });
}

/**
 * The answer for a request no route takes, as problem JSON: 405 with an
 * `Allow` header when the path is served under other methods (RFC 9110
 * §15.5.6), 404 when it is not served at all.
 *
 * Use it both as the not-found handler and, through `answerUnroutedEarly`,
 * as an `onRequest` hook.
 */
export function notFoundHandler(app: FastifyInstance) {
  return (request: FastifyRequest, reply: FastifyReply): FastifyReply => {
    const path = request.url.split('?')[0] ?? request.url;
    const allowed = allowedMethods(app, path);
    if (allowed.length === 0) {
      return reply
        .status(404)
        .type('application/problem+json')
        .send(problem('not_found', `no route ${request.method} ${path}`, { instance: path }));
    }
    return reply
      .status(405)
      .header('allow', allowed.join(', '))
      .type('application/problem+json')
      .send(
        problem('method_not_allowed', `${path} does not take ${request.method}`, {
          instance: path,
        }),
      );
  };
}

/**
 * An `onRequest` hook that answers unrouted requests before their body is
 * read: a body cannot turn a 404 or 405 into a 400 or 415, and Fastify's rule
 * that QUERY needs a Content-Type (RFC 10008) does not pre-empt the 405.
 * Register it after the hooks that set headers on every answer (helmet).
 */
export function answerUnroutedEarly(app: FastifyInstance) {
  const answer = notFoundHandler(app);
  return async (request: FastifyRequest, reply: FastifyReply) => {
    if (request.is404) return answer(request, reply);
  };
}
