/**
 * What every `orrery` verb shares on commander: a refused command line says
 * `orrery: <what is wrong>` with the verb's usage and exits 2, `--help` exits 0, and the common
 * flags and help sections read the same everywhere. Loads nothing but commander, so that
 * `--help` and a usage error answer at once; each verb imports its libraries when it runs.
 */
import { CommanderError, Option, type Command } from 'commander';

/** The process's exit codes (docs/cli.md). */
export const EXIT = { ok: 0, problem: 1, usage: 2 } as const;

/** `orrery tenant create`: the command's names from the root down. */
export function commandPath(command: Command): string {
  const names: string[] = [];
  for (let c: Command | null = command; c; c = c.parent) names.unshift(c.name());
  return names.join(' ');
}

/** Answers a wrong command line: prints `message` and the usage, exits 2 (via commander). */
export function usageError(command: Command, message: string): never {
  command.error(message, { exitCode: EXIT.usage, code: 'orrery.usage' });
}

/**
 * Errors as `<root>: <message>` (commander writes `error: <message>`), then the usage of the
 * command that refused; errors are thrown (exitOverride) so `runCommandLine` picks the code.
 */
function configure(command: Command, root: string): void {
  command.exitOverride().configureOutput({
    outputError: (text, write) => {
      const path = commandPath(command);
      write(`${root}: ${text.replace(/^error: /, '')}`);
      write(`usage:\n  ${path} ${command.usage()}\n(see \`${path} --help\`)\n`);
    },
  });
  for (const sub of command.commands) configure(sub, root);
}

/**
 * Parses `argv` (the words after the program's name) and runs the verb; answers the exit code:
 * the verb's (its action sets `process.exitCode`), 0 for `--help` and `--version`, 2 for a
 * command line commander or a verb refused.
 */
export async function runCommandLine(program: Command, argv: readonly string[]): Promise<number> {
  configure(program, program.name());
  try {
    await program.parseAsync([...argv], { from: 'user' });
    return Number(process.exitCode ?? EXIT.ok);
  } catch (error) {
    if (!(error instanceof CommanderError)) throw error;
    // exitCode 0 is help or version asked for; anything else is a command line refused.
    return error.exitCode === 0 ? EXIT.ok : EXIT.usage;
  }
}

/** `--json`: on every verb that prints a result. */
export const jsonOption = () => new Option('--json', 'print the result as JSON, for scripts');

/** `--tenant <id>`, `default` (the tenant `npm start` makes) unless given. */
export const tenantOption = () =>
  new Option('--tenant <id>', 'the tenant whose data to use').default('default');

/** A flag that may be given more than once: each value is appended. */
export const collect = (value: string, previous: readonly string[] = []): string[] => [
  ...previous,
  value,
];

/** Where the verbs that work on the database find it (said in each one's help). */
export const DATABASE_NOTE =
  'Works on the database directly: DATABASE_URL, else the embedded server of a running\n' +
  '`npm start` (.orrery/pg.url), else an embedded server started for the command.';

/** Adds the help's "Examples:" section (and a note after it, when given). */
export function withExamples(command: Command, examples: readonly string[], note?: string) {
  const lines = examples.map((example) => `  $ ${example}`).join('\n');
  return command.addHelpText('after', `\nExamples:\n${lines}${note ? `\n\n${note}` : ''}`);
}
