/** `orrery history <endpoint|job>`: the command line and its help (what it does: history.ts). */
import { Command } from 'commander';
import type { HistoryOptions } from './history.js';
import { DATABASE_NOTE, jsonOption, tenantOption, withExamples } from './program.js';

export function historyCommand(): Command {
  const command = new Command('history')
    .description(
      'what happened to an endpoint (its stream and planner sessions) or a job (its stream and ' +
        'every endpoint of it): one line per event, with time, position, actor and what',
    )
    .summary('what happened to an endpoint or a job, event by event')
    .argument(
      '<endpoint|job>',
      'an endpoint or job id, or endpoint:<id> / job:<id> when both exist',
    )
    .option('--since <time>', 'only events recorded at or after this ISO-8601 time')
    .option('--until <time>', 'only events recorded at or before this ISO-8601 time')
    .option('--limit <n>', 'the latest n events (1 to 10000)', '100')
    .addOption(tenantOption())
    .addOption(jsonOption())
    .action(async (ref: string, options: HistoryOptions) => {
      const { runHistory } = await import('./history.js');
      process.exitCode = await runHistory(command, ref, options);
    });
  return withExamples(
    command,
    [
      'orrery history demo-pack --since 2026-11-30T12:00:00Z',
      'orrery history demo-shop --limit 50',
      'orrery history job:demo-shop --json',
    ],
    DATABASE_NOTE,
  );
}
