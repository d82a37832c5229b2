import { StreamableHTTPServerTransport } from '@modelcontextprotocol/sdk/server/streamableHttp.js';
import { createOrreryMcpServer } from '@orrery/mcp';
import type { FastifyInstance, FastifyPluginAsync, FastifyRequest, HTTPMethods } from 'fastify';
import { authenticate } from '../auth/authenticate.js';
import type { AuthFailureBudget } from '../auth/failure-budget.js';
import { authenticateWithinBudget } from '../auth/rate-limits.js';
import { PIPELINE_BODY_LIMIT } from './pipelines.js';

const methods = new Set<string>(['GET', 'POST', 'PUT', 'PATCH', 'DELETE', 'HEAD', 'OPTIONS']);
const isMethod = (method: string): method is HTTPMethods => methods.has(method);

/**
 * A `fetch` that answers from this app in process (`inject`): the MCP tools call the control
 * plane through the typed client exactly as a remote client would — the same authentication,
 * tenant scoping, validation, rate limits and problem answers — without a socket.
 */
export function injectFetch(
  app: FastifyInstance,
  from: FastifyRequest,
): (request: Request) => Promise<Response> {
  return async (request) => {
    const url = new URL(request.url);
    const method = request.method.toUpperCase();
    if (!isMethod(method)) throw new Error(`unsupported method ${request.method}`);
    const headers: Record<string, string> = {};
    request.headers.forEach((value, name) => {
      headers[name] = value;
    });
    const payload = request.body === null ? undefined : Buffer.from(await request.arrayBuffer());
    const answer = await app.inject({
      method,
      url: `${url.pathname}${url.search}`,
      headers,
      ...(payload === undefined ? {} : { payload }),
      remoteAddress: from.ip,
    });
    const out = new Headers();
    for (const [name, value] of Object.entries(answer.headers)) {
      if (value === undefined) continue;
      for (const item of Array.isArray(value) ? value : [value]) out.append(name, String(item));
    }
    // The routes the tools call answer JSON (or problem JSON) text.
    const empty = answer.statusCode === 204 || answer.statusCode === 304;
    return new Response(empty ? null : answer.body, {
      status: answer.statusCode,
      headers: out,
    });
  };
}

/**
 * `POST /mcp`: the MCP server over streamable HTTP, stateless (a server and a transport per
 * request, JSON answers), for the tenant of the request's API key. Authenticated like /v1; each
 * tool call is then a request of the control plane made in process with the same key.
 */
export const mcpRoutes: FastifyPluginAsync<{
  failures: AuthFailureBudget;
  root: FastifyInstance;
}> = async (app, { failures, root }) => {
  app.addHook('onRequest', async (request, reply) =>
    authenticateWithinBudget(failures, request, reply, () => authenticate(app.tenantKeys, request)),
  );
  app.post(
    '/mcp',
    { schema: { hide: true }, bodyLimit: PIPELINE_BODY_LIMIT },
    async (request, reply) => {
      // `authenticate` accepted the header: it is `Bearer <key>`.
      const apiKey = (request.headers.authorization ?? '').replace(/^Bearer\s+/i, '');
      const server = createOrreryMcpServer({
        baseUrl: 'http://orrery.internal',
        apiKey,
        fetch: injectFetch(root, request),
      });
      const transport = new StreamableHTTPServerTransport({
        sessionIdGenerator: undefined,
        enableJsonResponse: true,
      });
      reply.hijack();
      reply.raw.on('close', () => {
        void transport.close();
        void server.close();
      });
      await server.connect(transport);
      await transport.handleRequest(request.raw, reply.raw, request.body);
    },
  );
};
