/** `orrery what-if`: the command line and its help (what it does: what-if.ts). */
import { Command } from 'commander';
import { collect, DATABASE_NOTE, jsonOption, tenantOption, withExamples } from './program.js';
import type { WhatIfOptions } from './what-if.js';

const CHANGES = `Changes are flags for the common cases and a JSON file (the API's \`changes\`) for the rest;
flags are laid over the file:
  --set <endpoint>.<field>=<value>  baseline.everyMs=1000, baseline.cron=*/5 * * * * *,
                                    baseline.none=true, minIntervalMs, maxIntervalMs (none
                                    removes it), jitterMs, backoff.factor, backoff.maxMs
  --policy <job>.<group>.<field>=<n>  antiThrash.maxChanges=1, budget.perEndpoint=10, …
  --remove-edge <upstream>.<downstream>, --planner off
--from and --to take an ISO instant, now, or a time before now (now-15m, now-2h, now-1d).
Read-only: it appends nothing (the same read as POST /v1/what-if). See docs/what-if.md.`;

export function whatIfCommand(): Command {
  const command = new Command('what-if')
    .description(
      'replay a window of recorded history with a changed configuration and print what would ' +
        'have differed, per endpoint',
    )
    .summary('replay a window of history with changed settings')
    .option('--job <id>', 'replay every endpoint of this job (or name --endpoint)')
    .option('--endpoint <id>', 'an endpoint to replay; repeat for several', collect)
    .option('--from <time>', 'the start of the window (required)')
    .option('--to <time>', 'the end of the window (required)')
    .option('--set <endpoint.field=value>', "change an endpoint's setting; repeatable", collect)
    .option('--policy <job.group.field=n>', "change a job's policy; repeatable", collect)
    .option('--remove-edge <upstream.downstream>', 'remove a dependency; repeatable', collect)
    .option('--planner <off>', 'off: replay without the planner’s hints')
    .option('--changes <file.json>', 'more changes, as the API’s `changes` object')
    .option('--tolerance <ms>', 'runs at most this far apart are the same run (default: 250)')
    .option('--limit <n>', 'items listed per list and endpoint (default: 10, 50 with --json)')
    .addOption(tenantOption())
    .addOption(jsonOption())
    .action(async (options: WhatIfOptions) => {
      const { runWhatIfCommand } = await import('./what-if.js');
      process.exitCode = await runWhatIfCommand(command, options);
    });
  return withExamples(
    command,
    [
      'orrery what-if --job demo-shop --from now-10m --to now --set demo-orders.baseline.everyMs=1000',
      'orrery what-if --job demo-shop --from now-10m --to now --planner off --json',
      'orrery what-if --endpoint demo-orders --endpoint demo-pack --from now-1h --to now \\\n' +
        '      --remove-edge demo-orders.demo-pack',
    ],
    `${CHANGES}\n\n${DATABASE_NOTE}`,
  );
}
