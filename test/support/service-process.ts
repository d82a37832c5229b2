import { spawn, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';

/** The repository root: services run from there, as `npm run <service>` would. */
export const repoRoot = fileURLToPath(new URL('../..', import.meta.url));

export type ServiceName = 'projection' | 'dispatcher' | 'executor' | 'api' | 'planner';

export interface ExitStatus {
  readonly code: number | null;
  readonly signal: NodeJS.Signals | null;
}

export interface ServiceProcessOptions {
  readonly service: ServiceName;
  /** Name in messages, e.g. `executor-2`. */
  readonly label: string;
  /** The service's environment (PATH and HOME are added; nothing else is inherited). */
  readonly env: Readonly<Record<string, string>>;
  /** The pino `msg` that says the service is up. Default `scheduling started` (info level; the api: `api listening`). */
  readonly readyMessage?: string;
  readonly readyTimeoutMs?: number;
  /** Output lines kept (the newest). Default 300. */
  readonly maxLines?: number;
  /** Characters kept of each line (a longer one is cut). Default 2000. */
  readonly maxLineChars?: number;
}

/** A service running as its own OS process, with a bounded tail of its output. */
export interface ServiceProcess {
  readonly label: string;
  readonly pid: number;
  /** Resolves when the ready message is logged; rejects if the process exits or times out first. */
  readonly ready: Promise<void>;
  /** Resolves when the process has exited (never rejects). */
  readonly stopped: Promise<ExitStatus>;
  /** The exit status once exited. */
  exitStatus(): ExitStatus | undefined;
  /** Sends a signal if the process is still running; returns whether one was sent. */
  kill(signal: NodeJS.Signals): boolean;
  /** SIGTERM, then SIGKILL if it has not exited after `graceMs`. */
  stop(graceMs?: number): Promise<ExitStatus>;
  /** The kept output, oldest first, stderr lines marked. */
  output(): string;
  /** The kept lines, oldest first, stderr lines marked. */
  lines(): readonly string[];
  /** Kept lines at pino level warn or above, and any line that is not pino JSON. */
  problems(): string[];
}

/** Spawns `node --import tsx services/<service>/src/main.ts` in the repository root. */
export function startServiceProcess(options: ServiceProcessOptions): ServiceProcess {
  const { service, label } = options;
  const readyMessage =
    options.readyMessage ?? (service === 'api' ? 'api listening' : 'scheduling started');
  const maxLines = options.maxLines ?? 300;
  const maxLineChars = options.maxLineChars ?? 2_000;
  const child: ChildProcess = spawn(
    process.execPath,
    ['--import', 'tsx', `services/${service}/src/main.ts`],
    {
      cwd: repoRoot,
      env: { PATH: process.env['PATH'] ?? '', HOME: process.env['HOME'] ?? '', ...options.env },
      stdio: ['ignore', 'pipe', 'pipe'],
    },
  );
  if (child.pid === undefined) throw new Error(`${label}: spawn failed`);
  const pid = child.pid;

  const lines: string[] = [];
  let dropped = 0;
  let exit: ExitStatus | undefined;
  let onReadyLine: (() => void) | undefined;
  const keep = (line: string) => {
    lines.push(line.length > maxLineChars ? `${line.slice(0, maxLineChars)}…` : line);
    if (lines.length > maxLines) {
      lines.shift();
      dropped++;
    }
  };
  const follow = (stream: NodeJS.ReadableStream | null, mark: string) => {
    let partial = '';
    stream?.setEncoding('utf8');
    stream?.on('data', (chunk: string) => {
      const parts = (partial + chunk).split('\n');
      partial = parts.pop() ?? '';
      if (partial.length > maxLineChars) partial = partial.slice(0, maxLineChars);
      for (const line of parts) {
        if (line.trim() === '') continue;
        keep(mark + line);
        if (mark === '' && messageOf(line) === readyMessage) onReadyLine?.();
      }
    });
    stream?.on('end', () => {
      if (partial.trim() !== '') keep(mark + partial);
    });
  };
  follow(child.stdout, '');
  follow(child.stderr, '[stderr] ');

  // Safety net: if the test process exits abruptly, take the child with it.
  const killOnExit = () => child.kill('SIGKILL');
  process.once('exit', killOnExit);

  const stopped = new Promise<ExitStatus>((resolve) => {
    child.once('exit', (code, signal) => {
      exit = { code, signal };
      process.removeListener('exit', killOnExit);
      resolve(exit);
    });
  });
  const output = () =>
    [`--- ${label} (pid ${pid})${dropped > 0 ? `, ${dropped} older lines dropped` : ''}`, ...lines]
      .concat(exit ? [`--- exited: ${JSON.stringify(exit)}`] : [])
      .join('\n');

  const readyTimeoutMs = options.readyTimeoutMs ?? 30_000;
  const ready = new Promise<void>((resolve, reject) => {
    const timer = setTimeout(
      () => reject(new Error(`${label} not ready after ${readyTimeoutMs} ms\n${output()}`)),
      readyTimeoutMs,
    );
    onReadyLine = () => {
      clearTimeout(timer);
      resolve();
    };
    void stopped.then(() => {
      clearTimeout(timer);
      reject(new Error(`${label} exited before it was ready\n${output()}`));
    });
  });
  ready.catch(() => {}); // callers await it; an unobserved rejection must not crash the run

  const kill = (signal: NodeJS.Signals) => exit === undefined && child.kill(signal);
  return {
    label,
    pid,
    ready,
    stopped,
    exitStatus: () => exit,
    kill,
    async stop(graceMs = 10_000) {
      kill('SIGTERM');
      const timer = setTimeout(() => kill('SIGKILL'), graceMs);
      const status = await stopped;
      clearTimeout(timer);
      return status;
    },
    output,
    lines: () => [...lines],
    problems: () => lines.filter(isProblem),
  };
}

function messageOf(line: string): string | undefined {
  try {
    const parsed: unknown = JSON.parse(line);
    return typeof parsed === 'object' && parsed !== null && 'msg' in parsed
      ? String(parsed.msg)
      : undefined;
  } catch {
    return undefined;
  }
}

function isProblem(line: string): boolean {
  try {
    const parsed: unknown = JSON.parse(line);
    if (typeof parsed !== 'object' || parsed === null || !('level' in parsed)) return true;
    return typeof parsed.level === 'number' && parsed.level >= 40;
  } catch {
    return true;
  }
}

/**
 * Every service process a test started, so one call stops them all — in
 * `afterAll`, whatever happened — and none outlives the test.
 */
export class ServiceGroup {
  readonly #all: ServiceProcess[] = [];

  start(options: ServiceProcessOptions): ServiceProcess {
    const started = startServiceProcess(options);
    this.#all.push(started);
    return started;
  }

  get all(): readonly ServiceProcess[] {
    return this.#all;
  }

  /** Stops every process still running (SIGTERM, then SIGKILL after `graceMs`). */
  async stopAll(graceMs = 10_000): Promise<void> {
    await Promise.all(this.#all.map((p) => p.stop(graceMs)));
  }

  /** The output of every process, for a failure report. */
  report(): string {
    return this.#all.map((p) => p.output()).join('\n');
  }
}
