/** `orrery explain <endpoint>`: the command line and its help (what it does: explain.ts). */
import { Command } from 'commander';
import type { ExplainOptions } from './explain.js';
import { DATABASE_NOTE, jsonOption, tenantOption, withExamples } from './program.js';

export function explainCommand(): Command {
  const command = new Command('explain')
    .description(
      "why an endpoint's next run is when it is: the governor's decision, every input and the " +
        'recent events that produced them; now, or as the log stood at a position or a time',
    )
    .summary("why an endpoint's next run is when it is")
    .argument('<endpoint>', 'the endpoint id')
    .option('--at <position|time>', 'as the log stood at this position or ISO-8601 instant')
    .option('--recent <n>', 'how many recent events to list')
    .addOption(tenantOption())
    .addOption(jsonOption())
    .action(async (endpoint: string, options: ExplainOptions) => {
      const { runExplain } = await import('./explain.js');
      process.exitCode = await runExplain(command, endpoint, options);
    });
  return withExamples(
    command,
    [
      'orrery explain demo-orders',
      'orrery explain demo-orders --at 1234',
      'orrery explain demo-orders --at 2026-11-30T12:00:00Z --json',
    ],
    DATABASE_NOTE,
  );
}
