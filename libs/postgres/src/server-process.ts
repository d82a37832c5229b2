import { spawn, type ChildProcess } from 'node:child_process';
import { chown, mkdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { ServerUser } from './server-user.js';

type Log = (message: string) => void;

/** Messages in English whatever the machine's locale: we match on them. */
const serverEnv = () => ({ ...process.env, LC_MESSAGES: 'C' });

export async function initialise(
  initdb: string,
  clusterDir: string,
  password: string,
  user: ServerUser,
  onLog: Log,
): Promise<void> {
  await mkdir(clusterDir, { recursive: true });
  const pwfile = join(tmpdir(), `orrery-pg-${process.pid}-${Date.now()}`);
  await writeFile(pwfile, `${password}\n`, { mode: 0o600 });
  if (user.uid !== undefined && user.gid !== undefined) {
    await chown(clusterDir, user.uid, user.gid);
    await chown(pwfile, user.uid, user.gid);
  }
  try {
    const child = spawn(
      initdb,
      [
        `--pgdata=${clusterDir}`,
        '--auth=scram-sha-256',
        '--username=postgres',
        `--pwfile=${pwfile}`,
        '--encoding=UTF8',
      ],
      // cwd: our own may be a directory the server user cannot enter (/root).
      { stdio: ['ignore', 'pipe', 'pipe'], ...ids(user), cwd: clusterDir, env: serverEnv() },
    );
    let output = '';
    child.stdout?.on('data', (chunk: Buffer) => onLog(chunk.toString()));
    child.stderr?.on('data', (chunk: Buffer) => (output += chunk.toString()));
    const code = await new Promise<number | null>((resolve) => child.on('close', resolve));
    if (code !== 0) throw new Error(`initdb failed (exit ${code}): ${output}`);
  } finally {
    await rm(pwfile, { force: true });
  }
}

/**
 * Starts the server and resolves once it accepts connections, or rejects
 * (the child stopped) if it exits first, is not ready within `readyMs`
 * (default 60 s) or `signal` aborts first.
 *
 * It runs in its own process group (`detached`): a terminal's Ctrl-C reaches
 * our process group only, so we shut the server down ourselves, gracefully.
 */
export async function startServer(options: {
  postgres: string;
  clusterDir: string;
  port: number;
  user: ServerUser;
  onLog: Log;
  readyMs?: number;
  /** Aborting stops the server (a start under way fails). */
  signal?: AbortSignal;
}): Promise<ChildProcess> {
  const { clusterDir, port, user } = options;
  const child = spawn(
    options.postgres,
    [
      '-D',
      clusterDir,
      '-p',
      String(port),
      '-c',
      'listen_addresses=127.0.0.1',
      '-c',
      'unix_socket_directories=',
    ],
    {
      detached: true,
      stdio: ['ignore', 'pipe', 'pipe'],
      ...ids(user),
      cwd: clusterDir,
      env: serverEnv(),
    },
  );
  const abort = () => void stopChild(child);
  options.signal?.addEventListener('abort', abort, { once: true });
  try {
    if (options.signal?.aborted) throw new Error('PostgreSQL start cancelled');
    await waitUntilReady(child, options.onLog, options.readyMs ?? 60_000);
    return child;
  } catch (error) {
    await stopChild(child);
    throw error;
  } finally {
    options.signal?.removeEventListener('abort', abort);
  }
}

function ids(user: ServerUser): { uid?: number; gid?: number } {
  return user.uid !== undefined && user.gid !== undefined ? { uid: user.uid, gid: user.gid } : {};
}

function waitUntilReady(child: ChildProcess, onLog: Log, readyMs: number): Promise<void> {
  return new Promise((resolve, reject) => {
    let output = '';
    const timer = setTimeout(
      () => reject(new Error(`PostgreSQL did not start in ${readyMs / 1000} s: ${output}`)),
      readyMs,
    );
    // The listener stays for the server's life: it drains the pipe and forwards its log.
    child.stderr?.on('data', (chunk: Buffer) => {
      const text = chunk.toString();
      onLog(text);
      if (output.length < 10_000) output += text;
      if (text.includes('ready to accept connections')) {
        clearTimeout(timer);
        resolve();
      }
    });
    child.once('error', (error) => {
      clearTimeout(timer);
      reject(error);
    });
    child.once('exit', (code, signal) => {
      clearTimeout(timer);
      reject(
        new Error(`PostgreSQL exited (${signal ?? `code ${code}`}) before it was ready: ${output}`),
      );
    });
  });
}

/** Fast shutdown (SIGINT): aborts open transactions, then exits cleanly; SIGKILL after 30 s. */
export async function stopChild(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null || child.pid === undefined) return;
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  child.kill('SIGINT');
  const timeout = setTimeout(() => child.kill('SIGKILL'), 30_000);
  await exited;
  clearTimeout(timeout);
}
