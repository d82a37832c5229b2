/**
 * `orrery replay` (and `npm run replay`): the command line and its help (what it does:
 * scripts/lib/replay-command.ts).
 */
import { Command } from 'commander';
import type { ReplayOptions } from '../lib/replay-command.js';
import { DATABASE_NOTE, jsonOption, withExamples } from './program.js';

export function replayCommand(): Command {
  const command = new Command('replay')
    .description(
      'replay the event log into a shadow schema with the real projection and compare it with ' +
        'the live read models, row by row; optionally swap it in. A progress line on stderr',
    )
    .summary('replay the log and compare it with the read models')
    .option(
      '--to <position|time>',
      'up to this position, or the first event recorded after this ISO time',
    )
    .option('--tenant <id>', 'replay and compare only the rows of this tenant')
    .option('--job <id>', 'only this job (read from its streams alone)')
    .option('--endpoint <id>', 'only this endpoint (read from its streams alone)')
    .option(
      '--swap',
      'put the replayed read models in place of the live ones (a full replay only, with the projection stopped)',
    )
    .option(
      '--verify',
      "check every event against the catalogue's schemas, as the projection does (slower)",
    )
    .option(
      '--workers <n>',
      "threads that fold the log, each its share of the endpoints (default 2, 1 on one core; 0: this process's own thread)",
    )
    .addOption(jsonOption())
    .action(async (options: ReplayOptions) => {
      const { replayLog } = await import('../lib/replay-command.js');
      process.exitCode = await replayLog(command, options);
    });
  return withExamples(
    command,
    [
      'orrery replay',
      'orrery replay --endpoint demo-orders --to 2026-11-30T12:00:00Z',
      'orrery replay --swap --json',
    ],
    'Exit 0: no differences (or a swap put them right); 1: differences left, a refused swap or\n' +
      `a stalled processor; 2: a wrong command line. See docs/debugging.md.\n\n${DATABASE_NOTE}`,
  );
}
