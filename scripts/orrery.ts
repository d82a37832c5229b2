/**
 * The `orrery` command line (docs/cli.md): `npx orrery <verb> …` (the bin of services/cli runs
 * this file) or `npm run orrery -- <verb> …`. `orrery --help` lists the verbs, `orrery <verb>
 * --help` (or `orrery help <verb>`) says what one takes.
 *
 * Built on commander because it is maintained and typed, gives every verb and subcommand its
 * own `--help`, suggests the nearest verb or option for a misspelt one ("did you mean"), and
 * hands its errors back (exitOverride) so that the exit codes are ours: 0 done, 1 a problem
 * Orrery reported, 2 a wrong command line.
 */
import { readFileSync } from 'node:fs';
import { Command } from 'commander';
import { applyCommand } from './cli/apply-command.js';
import { eventsCommand } from './cli/events-command.js';
import { explainCommand } from './cli/explain-command.js';
import { historyCommand } from './cli/history-command.js';
import { mcpCommand } from './cli/mcp-command.js';
import { runCommandLine } from './cli/program.js';
import { replayCommand } from './cli/replay-command.js';
import { keyCommand, tenantCommand } from './cli/tenant-command.js';
import { whatIfCommand } from './cli/what-if-command.js';

const { version } = JSON.parse(
  readFileSync(new URL('../package.json', import.meta.url), 'utf8'),
) as { version: string };

const ROOT_NOTES = `
Environment:
  DATABASE_URL      the database of every verb but mcp (else the embedded server of a running
                    \`npm start\`, from .orrery/pg.url, else one started for the command)
  ORRERY_DATA_DIR   where \`npm start\` keeps its data (default .orrery)
  ORRERY_SECRET_KEY the key that seals secret header values (apply)
  ORRERY_URL, ORRERY_API_KEY
                    the API and key of \`orrery mcp\` (--url, --key)

Exit codes: 0 done, 1 a problem Orrery reported (e.g. an unknown tenant or endpoint),
2 a wrong command line (an unknown verb or option, a missing argument).

Examples:
  $ orrery tenant create acme --name "Acme Inc"
  $ orrery apply -f pipeline.yaml --dry-run
  $ orrery explain demo-orders --json
  $ orrery help history

See docs/cli.md.`;

const program = new Command('orrery')
  .description(
    'Orrery, the adaptive HTTP job scheduler: administer tenants, apply pipelines, read the log',
  )
  .version(version)
  .addCommand(tenantCommand())
  .addCommand(keyCommand())
  .addCommand(applyCommand())
  .addCommand(explainCommand())
  .addCommand(historyCommand())
  .addCommand(eventsCommand())
  .addCommand(replayCommand())
  .addCommand(whatIfCommand())
  .addCommand(mcpCommand())
  .addHelpText('after', ROOT_NOTES);

// `orrery … | head`: a reader that stops early is not the command's failure.
process.stdout.on('error', (error: NodeJS.ErrnoException) => {
  if (error.code !== 'EPIPE') throw error;
  process.exit();
});

process.exitCode = await runCommandLine(program, process.argv.slice(2));
