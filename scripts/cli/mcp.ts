/**
 * `orrery mcp [--url <api url>] [--key <api key>]`: the MCP server over stdio, for an MCP client
 * to spawn. Every tool is a call of the HTTP API with the key, so the key's tenant is all it
 * sees. stdout carries the protocol only; messages go to stderr.
 */
import { existsSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { StdioServerTransport } from '@modelcontextprotocol/sdk/server/stdio.js';
import { createOrreryMcpServer } from '@orrery/mcp';
import { parseCommandLine, usageError } from './read-command.js';

export const mcpUsage =
  '  orrery mcp [--url <API URL, or ORRERY_URL>] [--key <API key, or ORRERY_API_KEY>]';

/** The key `npm start` saved for the default tenant (ORRERY_DATA_DIR/api-key), when there is one. */
function savedKey(): string | undefined {
  const file = join(resolve(process.env['ORRERY_DATA_DIR'] ?? '.orrery'), 'api-key');
  return existsSync(file) ? readFileSync(file, 'utf8').trim() || undefined : undefined;
}

/** Serves MCP on stdin/stdout until the client closes stdin; answers the exit code. */
export async function runMcp(argv: string[]): Promise<number> {
  const parsed = parseCommandLine(mcpUsage, () =>
    parseArgs({
      args: argv,
      options: {
        url: { type: 'string' },
        key: { type: 'string' },
        help: { type: 'boolean', short: 'h' },
      },
    }),
  );
  if (typeof parsed === 'number') return parsed;
  const { values } = parsed;
  if (values.help) return usageError(mcpUsage);
  const baseUrl =
    values.url ?? process.env['ORRERY_URL'] ?? `http://127.0.0.1:${process.env['PORT'] ?? '3000'}`;
  const apiKey = values.key ?? process.env['ORRERY_API_KEY'] ?? savedKey();
  if (!apiKey) {
    return usageError(mcpUsage, '--key: give an API key (or set ORRERY_API_KEY)');
  }
  try {
    new URL(baseUrl);
  } catch {
    return usageError(mcpUsage, `--url: ${baseUrl} is not a URL`);
  }
  const server = createOrreryMcpServer({ baseUrl: baseUrl.replace(/\/+$/, ''), apiKey });
  const transport = new StdioServerTransport();
  const closed = new Promise<void>((done) => {
    transport.onclose = done;
    process.stdin.once('end', done);
  });
  await server.connect(transport);
  console.error(`orrery mcp: serving ${baseUrl} over stdio`);
  await closed;
  await server.close();
  return 0;
}
