import { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js';
import type { OrreryClient, OrreryClientOptions, paths } from '@orrery/api-client';
import createClient from 'openapi-fetch';
import { registerResources } from './resources.js';
import { registerPipelineTool } from './tools/pipeline-tool.js';
import { registerReadTools } from './tools/read-tools.js';
import { registerSteerTools } from './tools/steer-tools.js';

/** The server's name and version, as MCP clients show them. */
export const ORRERY_MCP_SERVER = { name: 'orrery', version: '0.1.0' } as const;

const instructions = `Orrery is an adaptive HTTP job scheduler. Jobs group endpoints (an HTTP
request and a baseline schedule). Read with list_jobs, list_endpoints, explain_endpoint (why it
runs when it does), history and list_events. Steer with propose_hint and run_now: they are your
proposals as source "agent", which the arbiter may refuse (a pause holds agents off; a live user
or cascade hint outranks yours); a refusal names its rule — respect it, do not retry blindly.
pause_*/resume_* act with the API key. apply_pipeline always needs a dry run first. Resources:
orrery://graph (dependencies across jobs) and orrery://docs/coordination-signals.`;

/**
 * The typed client, as `createOrreryClient` of @orrery/api-client makes it. Only its types are
 * imported from there: the package's code is its build output (dist), which the services do not
 * build, so the API can serve /mcp straight from the sources.
 */
function createApi(options: OrreryClientOptions): OrreryClient {
  return createClient<paths>({
    baseUrl: options.baseUrl,
    headers: { authorization: `Bearer ${options.apiKey}` },
    ...(options.fetch ? { fetch: options.fetch } : {}),
  });
}

/**
 * An MCP server over the Orrery control plane, for one API key: every tool is a call of the
 * typed API client, so the key's tenant scoping, validation and the arbiter apply exactly as
 * they do to any other client. Connect it to a transport (stdio, streamable HTTP).
 *
 * @example
 * const server = createOrreryMcpServer({ baseUrl: 'http://127.0.0.1:3000', apiKey });
 * await server.connect(new StdioServerTransport());
 */
export function createOrreryMcpServer(client: OrreryClientOptions): McpServer {
  const server = new McpServer(ORRERY_MCP_SERVER, { instructions });
  const api = createApi(client);
  registerReadTools(server, api);
  registerSteerTools(server, api);
  registerPipelineTool(server, api);
  registerResources(server, api);
  return server;
}
