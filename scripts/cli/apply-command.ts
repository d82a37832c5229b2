/** `orrery apply`: the command line and its help (what it does: scripts/lib/apply-command.ts). */
import { Command } from 'commander';
import type { ApplyOptions } from '../lib/apply-command.js';
import { DATABASE_NOTE, jsonOption, tenantOption, withExamples } from './program.js';

export function applyCommand(): Command {
  const command = new Command('apply')
    .description(
      'apply a pipeline document (jobs, endpoints, edges): all or nothing, nothing appended when ' +
        'nothing changed; prints the diff. The same as PUT /v1/pipelines/{name}',
    )
    .summary('apply a pipeline document (jobs, endpoints, edges)')
    .requiredOption(
      '-f, --file <file>',
      'the document: .json is read as JSON, else YAML; - for stdin',
    )
    .option('--dry-run', 'print the diff and append nothing')
    .option('--name <pipeline>', "the pipeline's name, when the document names none")
    .addOption(tenantOption())
    .addOption(jsonOption())
    .action(async (options: ApplyOptions) => {
      const { runApply } = await import('../lib/apply-command.js');
      process.exitCode = await runApply(options);
    });
  return withExamples(
    command,
    [
      'orrery apply -f pipeline.yaml --dry-run',
      'orrery apply -f pipeline.yaml --tenant acme',
      'cat pipeline.json | orrery apply -f - --name nightly --json',
    ],
    'Secret header values are sealed with ORRERY_SECRET_KEY (else .orrery/secret.key of\n' +
      `\`npm start\`). See docs/pipelines.md.\n\n${DATABASE_NOTE}`,
  );
}
