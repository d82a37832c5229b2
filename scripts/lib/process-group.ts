import { spawn, type ChildProcess, type SpawnOptions } from 'node:child_process';

export interface GroupExit {
  readonly code: number | null;
  readonly signal: NodeJS.Signals | null;
}

/**
 * A command in a process group of its own, so that stopping it stops every
 * process it started (vitest's workers and the services they spawn), not only
 * the leader.
 */
export interface ProcessGroup {
  readonly child: ChildProcess;
  /** Resolves when the leader has exited. */
  readonly exited: Promise<GroupExit>;
  /** Sends `signal` to every process still in the group. Synchronous. */
  signal(signal: NodeJS.Signals): void;
  /** SIGTERM to the group; SIGKILL to whatever is left after `graceMs`. */
  stop(graceMs: number): Promise<GroupExit>;
}

export function startProcessGroup(
  command: string,
  args: readonly string[],
  options: SpawnOptions,
): ProcessGroup {
  const child = spawn(command, args, { ...options, detached: true });
  const pgid = child.pid;
  if (pgid === undefined) throw new Error(`${command}: spawn failed`);
  const exited = new Promise<GroupExit>((resolve) =>
    child.once('exit', (code, signal) => resolve({ code, signal })),
  );
  const signal = (sig: NodeJS.Signals) => {
    try {
      process.kill(-pgid, sig);
    } catch {
      // ESRCH: no process left in the group.
    }
  };
  return {
    child,
    exited,
    signal,
    async stop(graceMs) {
      signal('SIGTERM');
      const timer = setTimeout(() => signal('SIGKILL'), graceMs);
      const exit = await exited;
      clearTimeout(timer);
      // The leader may go first: give the rest of the group the same grace, then SIGKILL.
      await groupGone(pgid, graceMs);
      signal('SIGKILL');
      return exit;
    },
  };
}

/** Polls until no process is left in group `pgid`, at most `timeoutMs`. */
async function groupGone(pgid: number, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    try {
      process.kill(-pgid, 0);
    } catch {
      return;
    }
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}
