import { spawn } from 'node:child_process';
import { waitFor } from '@orrery/testkit';
import { repoRoot, type ExitStatus } from './service-process.js';

const MAX_LINES = 200;

export interface ApiProcessOptions {
  /** The service's environment (PATH and HOME are added; nothing else is inherited). */
  readonly env: Readonly<Record<string, string>>;
  /** Where it listens: must match PORT and HOST in `env`. */
  readonly baseUrl: string;
}

/** The API service (`services/api/src/main.ts`) as its own OS process. */
export interface ApiProcess {
  readonly pid: number;
  readonly baseUrl: string;
  /** Resolves once GET /healthz answers 200; rejects if the process exits first, or after `timeoutMs`. */
  ready(timeoutMs?: number): Promise<void>;
  /** The newest output lines, stderr marked, for a failure report. */
  output(): string;
  /** SIGTERM, then SIGKILL after `graceMs`; resolves once the process has exited. */
  stop(graceMs?: number): Promise<ExitStatus>;
}

/** Spawns `node --import tsx services/api/src/main.ts` in the repository root. */
export function startApiProcess(options: ApiProcessOptions): ApiProcess {
  const child = spawn(process.execPath, ['--import', 'tsx', 'services/api/src/main.ts'], {
    cwd: repoRoot,
    env: { PATH: process.env['PATH'] ?? '', HOME: process.env['HOME'] ?? '', ...options.env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  if (child.pid === undefined) throw new Error('api: spawn failed');
  const pid = child.pid;

  const lines: string[] = [];
  const follow = (stream: NodeJS.ReadableStream | null, mark: string) => {
    stream?.setEncoding('utf8');
    stream?.on('data', (chunk: string) => {
      for (const line of chunk.split('\n')) {
        if (line.trim() === '') continue;
        lines.push(mark + line.slice(0, 2_000));
        if (lines.length > MAX_LINES) lines.shift();
      }
    });
  };
  follow(child.stdout, '');
  follow(child.stderr, '[stderr] ');

  // Safety net: if the test process exits abruptly, take the child with it.
  const killOnExit = () => child.kill('SIGKILL');
  process.once('exit', killOnExit);
  let exit: ExitStatus | undefined;
  const exited = new Promise<ExitStatus>((resolve) => {
    child.once('exit', (code, signal) => {
      exit = { code, signal };
      process.removeListener('exit', killOnExit);
      resolve(exit);
    });
  });
  const output = () => [`--- api (pid ${pid})`, ...lines].join('\n');

  return {
    pid,
    baseUrl: options.baseUrl,
    output,
    async ready(timeoutMs = 30_000) {
      await waitFor(
        `GET ${options.baseUrl}/healthz`,
        async () => {
          if (exit) throw new Error(`api exited (${JSON.stringify(exit)}) before it was ready`);
          try {
            const response = await fetch(`${options.baseUrl}/healthz`, {
              signal: AbortSignal.timeout(1_000),
            });
            return response.status === 200 ? true : undefined;
          } catch {
            return undefined; // not listening yet
          }
        },
        { timeoutMs, intervalMs: 100 },
      ).catch((error: unknown) => {
        throw new Error(`${error instanceof Error ? error.message : String(error)}\n${output()}`);
      });
    },
    async stop(graceMs = 10_000) {
      if (exit) return exit;
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), graceMs);
      const status = await exited;
      clearTimeout(timer);
      return status;
    },
  };
}
