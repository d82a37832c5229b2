import { execFile, spawn } from 'node:child_process';
import { once } from 'node:events';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';

const tsx = createRequire(import.meta.url).resolve('tsx/cli');
const script = fileURLToPath(new URL('../../scripts/orrery.ts', import.meta.url));

/** `orrery …` as a command line on the database at `url`: the executable, its arguments, options. */
function orreryCommand(
  url: string,
  args: readonly string[],
): [string, string[], { env: NodeJS.ProcessEnv }] {
  return [process.execPath, [tsx, script, ...args], { env: { ...process.env, DATABASE_URL: url } }];
}

/**
 * Runs `orrery …` to its end, as an operator does (each run starts tsx and loads the libraries:
 * seconds on a busy machine); answers its exit code and output.
 */
export function orreryCli(url: () => string) {
  return async (...args: string[]): Promise<{ code: number; stdout: string; stderr: string }> => {
    const [file, argv, options] = orreryCommand(url(), args);
    return promisify(execFile)(file, argv, { ...options, timeout: 60_000 })
      .then(({ stdout, stderr }) => ({ code: 0, stdout, stderr }))
      .catch((error: { code?: number; stdout?: string; stderr?: string }) => ({
        code: error.code ?? -1,
        stdout: error.stdout ?? '',
        stderr: error.stderr ?? '',
      }));
  };
}

/** Starts `orrery …` and leaves it running: its output so far, its exit, and a way to signal it. */
export function startOrrery(url: string, args: readonly string[]) {
  const child = spawn(...orreryCommand(url, args));
  const output = { stdout: '', stderr: '' };
  child.stdout.on('data', (chunk: Buffer) => (output.stdout += chunk.toString()));
  child.stderr.on('data', (chunk: Buffer) => (output.stderr += chunk.toString()));
  const exited = once(child, 'exit') as Promise<[number | null, NodeJS.Signals | null]>;
  return { output, exited, kill: (signal: NodeJS.Signals) => child.kill(signal) };
}

/** A timeline entry (`history --json`) or a tailed event (`events tail --json`), as tests read it. */
export interface Entry {
  type: string;
  position: number;
  actor: { kind: string; id: string };
  subject: string;
  causationId: string | null;
  summary: string;
  data: Record<string, unknown>;
}

/** One JSON object per line (`events tail --json`). */
export const jsonLines = (stdout: string): Entry[] =>
  stdout
    .split('\n')
    .filter((line) => line.trim() !== '')
    .map((line) => JSON.parse(line) as Entry);
