/**
 * What `orrery mcp` does (its command line: mcp-command.ts): the MCP server over stdio, for an
 * MCP client to spawn. Every tool is a call of the HTTP API with the key, so the key's tenant is
 * all it sees. stdout carries the protocol only; messages go to stderr.
 */
import { existsSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { StdioServerTransport } from '@modelcontextprotocol/sdk/server/stdio.js';
import { createOrreryMcpServer } from '@orrery/mcp';
import type { Command } from 'commander';
import { usageError } from './program.js';

/** `--url` and `--key`, or ORRERY_URL and ORRERY_API_KEY (commander reads the environment). */
export interface McpOptions {
  readonly url?: string;
  readonly key?: string;
}

/** The key `npm start` saved for the default tenant (ORRERY_DATA_DIR/api-key), when there is one. */
function savedKey(): string | undefined {
  const file = join(resolve(process.env['ORRERY_DATA_DIR'] ?? '.orrery'), 'api-key');
  return existsSync(file) ? readFileSync(file, 'utf8').trim() || undefined : undefined;
}

/** Serves MCP on stdin/stdout until the client closes stdin; answers the exit code. */
export async function runMcp(command: Command, options: McpOptions): Promise<number> {
  const baseUrl = options.url ?? `http://127.0.0.1:${process.env['PORT'] ?? '3000'}`;
  const apiKey = options.key ?? savedKey();
  if (!apiKey) {
    usageError(command, '--key: give an API key (or set ORRERY_API_KEY)');
  }
  try {
    new URL(baseUrl);
  } catch {
    usageError(command, `--url: ${baseUrl} is not a URL`);
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
