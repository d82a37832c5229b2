import { spawn } from 'node:child_process';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export interface CommandResult {
  readonly command: string;
  readonly code: number | null;
  readonly stdout: string;
  readonly stderr: string;
}

/** Variables bash sets for itself, not the reader's: never carried from one command to the next. */
const BASH_OWN = new Set(['_', 'SHLVL', 'PWD', 'OLDPWD']);

/**
 * A terminal as a reader of a guide has one: commands run one after another in bash, in `cwd`,
 * and what one exports (`export KEY=…`) the next one sees. Each command is its own `bash -c`,
 * bounded by a timeout (its process group is killed when it runs over); the environment it
 * leaves is read back from `env -0` when it ends.
 */
export class ShellSession {
  #env: Record<string, string>;

  private constructor(
    private readonly cwd: string,
    env: Record<string, string>,
    private readonly dir: string,
  ) {
    this.#env = env;
  }

  static async open(cwd: string, env: Record<string, string>): Promise<ShellSession> {
    return new ShellSession(cwd, env, await mkdtemp(join(tmpdir(), 'orrery-shell-')));
  }

  /** The session's environment now (what the next command starts with). */
  get env(): Readonly<Record<string, string>> {
    return this.#env;
  }

  async run(command: string, timeoutMs: number): Promise<CommandResult> {
    const envFile = join(this.dir, 'env');
    // The command's status is kept across the `env -0` that records what it exported.
    await rm(envFile, { force: true });
    const script = `${command}\n__status=$?\nenv -0 > '${envFile}'\nexit $__status\n`;
    const child = spawn('bash', ['-c', script], {
      cwd: this.cwd,
      env: this.#env,
      stdio: ['ignore', 'pipe', 'pipe'],
      detached: true, // its own process group: a timeout kills npm and the node under it too
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    let timedOut = false;
    const timer = setTimeout(() => {
      timedOut = true;
      if (child.pid) process.kill(-child.pid, 'SIGKILL');
    }, timeoutMs);
    const code = await new Promise<number | null>((resolve) => child.once('close', resolve));
    clearTimeout(timer);
    if (timedOut) {
      stderr += `\n[timed out after ${timeoutMs} ms]`;
      return { command, code: null, stdout, stderr };
    }
    this.#env = await readEnv(envFile).catch(() => this.#env);
    return { command, code, stdout, stderr };
  }

  async close(): Promise<void> {
    await rm(this.dir, { recursive: true, force: true });
  }
}

async function readEnv(file: string): Promise<Record<string, string>> {
  const env: Record<string, string> = {};
  for (const entry of (await readFile(file, 'utf8')).split('\0')) {
    const at = entry.indexOf('=');
    if (at <= 0) continue;
    const name = entry.slice(0, at);
    if (!BASH_OWN.has(name)) env[name] = entry.slice(at + 1);
  }
  return env;
}
