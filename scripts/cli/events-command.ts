/** `orrery events tail`: the command line and its help (what it does: events-tail.ts). */
import { Command } from 'commander';
import type { TailOptions } from './events-tail.js';
import { DATABASE_NOTE, jsonOption, tenantOption, withExamples } from './program.js';

function tailCommand(): Command {
  const command = new Command('tail')
    .description(
      "the tenant's latest events matching the filters, one per line; with --follow, then every " +
        'new matching event as it is appended, until Ctrl-C, SIGTERM or --for milliseconds',
    )
    .summary('list the latest matching events; --follow for new ones')
    .option('--follow', 'keep printing new matching events')
    .option('--for <ms>', 'with --follow: stop after this many milliseconds')
    .option('--stream <id>', 'only this stream (e.g. endpoint-acme.orders)')
    .option('--endpoint <id>', 'only this endpoint (its stream and planner sessions)')
    .option('--job <id>', 'only this job (its stream and every endpoint of it)')
    .option('--type <Type,…>', 'only these event types, comma-separated (e.g. Paused,Resumed)')
    .option('--actor <kind>', 'only events by this kind of actor: user, planner, cascade, system')
    .option('--since <time>', 'only events recorded at or after this ISO-8601 time')
    .option('--until <time>', 'only events recorded before this ISO-8601 time')
    .option('--after <position>', 'the events after this log position (oldest first)')
    .option('--limit <n>', 'at most n events (before following)', '20')
    .addOption(tenantOption())
    .addOption(jsonOption())
    .action(async (options: TailOptions) => {
      const { runTail } = await import('./events-tail.js');
      process.exitCode = await runTail(command, options);
    });
  return withExamples(
    command,
    [
      'orrery events tail --type Paused,Resumed,EndpointReconfigured --job demo-shop',
      'orrery events tail --follow --endpoint demo-orders',
      'orrery events tail --after 1200 --limit 500 --json',
    ],
    `--json prints one JSON object per line.\n\n${DATABASE_NOTE}`,
  );
}

export function eventsCommand(): Command {
  return new Command('events')
    .description('read the event log: `events tail` lists and follows events')
    .addCommand(tailCommand());
}
