/** `orrery mcp`: the command line and its help (what it does: mcp.ts). */
import { Command, Option } from 'commander';
import type { McpOptions } from './mcp.js';
import { withExamples } from './program.js';

export function mcpCommand(): Command {
  const command = new Command('mcp')
    .description(
      'serve the Model Context Protocol on stdin/stdout, for an MCP client to spawn; every tool ' +
        "is a call of Orrery's HTTP API with the key, so the key's tenant is all it sees",
    )
    .summary('serve MCP on stdio, for an MCP client to spawn')
    .addOption(
      new Option('--url <url>', 'the API (default: http://127.0.0.1:$PORT, PORT 3000)').env(
        'ORRERY_URL',
      ),
    )
    .addOption(
      new Option('--key <key>', 'an API key (default: .orrery/api-key, saved by `npm start`)').env(
        'ORRERY_API_KEY',
      ),
    )
    .action(async (options: McpOptions) => {
      const { runMcp } = await import('./mcp.js');
      process.exitCode = await runMcp(command, options);
    });
  return withExamples(
    command,
    [
      'npm run -s orrery -- mcp',
      'orrery mcp --url https://orrery.example.com --key "$ORRERY_API_KEY"',
    ],
    'stdout carries the protocol only; messages go to stderr. Talks to the API, not the\n' +
      'database. See docs/mcp.md for client configuration.',
  );
}
