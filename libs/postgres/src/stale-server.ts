import { existsSync } from 'node:fs';
import { readdir, readFile, readlink, realpath, rm } from 'node:fs/promises';
import { basename, join } from 'node:path';

/** What clearing a cluster directory found and did. */
export interface Cleared {
  /** A server from an earlier run that still held the directory and was stopped. */
  readonly stoppedServer?: number;
  /** Server processes left behind by a postmaster that died (killed). */
  readonly killedOrphans: readonly number[];
  /** A postmaster.pid naming a process that is not this cluster's (pid reused) was removed. */
  readonly removedPidFile: boolean;
}

const procFs = existsSync('/proc/self/cwd');

/**
 * Readies a cluster directory for a server start.
 *
 * A server an earlier process left running (we start it detached) is asked
 * to stop. Then, when the OS tells us (Linux /proc), the processes a
 * postmaster left behind are killed: after a SIGKILL the postmaster's
 * backends and workers live on; idle ones notice within milliseconds, but a
 * busy query does not, and while any of them is attached to the old shared
 * memory, a new server refuses to start ("pre-existing shared memory block
 * is still in use"). They belong to a dead server whose cluster will go
 * through crash recovery anyway. Elsewhere a restart retries until they end.
 */
export async function clearStaleServer(clusterDir: string): Promise<Cleared> {
  const pid = await pidFileOwner(clusterDir);
  let stoppedServer: number | undefined;
  if (pid !== undefined && isAlive(pid)) {
    const ours = !procFs || (await serverProcesses(clusterDir)).includes(pid);
    if (ours) {
      process.kill(pid, 'SIGINT');
      await until(() => !isAlive(pid), 10_000);
      stoppedServer = pid;
    }
  }
  const orphans = await serverProcesses(clusterDir);
  for (const orphan of orphans) signal(orphan, 'SIGKILL');
  await until(async () => (await serverProcesses(clusterDir)).length === 0, 5_000);
  // postmaster.pid naming a live process that is not this cluster's is stale
  // (the pid was reused); the server would refuse to start while it names a
  // process of its own user. Only where /proc let us check every process.
  let removedPidFile = false;
  const named = await pidFileOwner(clusterDir);
  if (procFs && named !== undefined && isAlive(named)) {
    if (!(await serverProcesses(clusterDir)).includes(named)) {
      await rm(join(clusterDir, 'postmaster.pid'), { force: true });
      removedPidFile = true;
    }
  }
  return { ...(stoppedServer ? { stoppedServer } : {}), killedOrphans: orphans, removedPidFile };
}

/**
 * Pids of PostgreSQL server processes working in `clusterDir` (every server
 * process has the cluster directory as its working directory). Linux only;
 * elsewhere the list is empty.
 */
export async function serverProcesses(clusterDir: string): Promise<number[]> {
  if (!procFs) return [];
  const dir = await realpath(clusterDir).catch(() => clusterDir);
  const found: number[] = [];
  for (const entry of await readdir('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    // A process may end while we look (or be a zombie, which holds nothing): skip it.
    const cwd = await readlink(`/proc/${entry}/cwd`).catch(() => undefined);
    if (cwd !== dir) continue;
    const exe = await readlink(`/proc/${entry}/exe`).catch(() => '');
    if (basename(exe).startsWith('postgres')) found.push(Number(entry));
  }
  return found;
}

async function pidFileOwner(clusterDir: string): Promise<number | undefined> {
  const text = await readFile(join(clusterDir, 'postmaster.pid'), 'utf8').catch(() => undefined);
  const pid = Number(text?.split('\n')[0]);
  return Number.isInteger(pid) && pid > 0 ? pid : undefined;
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

function signal(pid: number, name: NodeJS.Signals): void {
  try {
    process.kill(pid, name);
  } catch {
    // It ended on its own meanwhile.
  }
}

/** Polls `done` every 50 ms until it holds or `timeoutMs` passes (then returns anyway). */
async function until(done: () => boolean | Promise<boolean>, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await done()) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
}
