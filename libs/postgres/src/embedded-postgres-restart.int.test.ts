import { chmod, mkdtemp, realpath } from 'node:fs/promises';
import { createServer, type Server } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { afterEach, describe, expect, it } from 'vitest';
import {
  startEmbeddedPostgres,
  type EmbeddedPostgresHandle,
  type EmbeddedPostgresOptions,
} from './embedded-postgres.js';
import type { EmbeddedPostgresEvent } from './events.js';
import { processesIn, query, removeAll, waitFor } from './test-support.js';

const handles: EmbeddedPostgresHandle[] = [];
const dirs: string[] = [];
const servers: Server[] = [];

afterEach(async () => {
  for (const handle of handles.splice(0)) await handle.stop();
  for (const server of servers.splice(0)) await new Promise((resolve) => server.close(resolve));
  await removeAll(dirs);
});

/** A server in a fresh directory the server user can reach; its events are collected. */
async function startInTempDir(options: Partial<EmbeddedPostgresOptions> = {}) {
  const parent = await mkdtemp(join(tmpdir(), 'orrery-pg-restart-'));
  dirs.push(parent);
  await chmod(parent, 0o755);
  const events: EmbeddedPostgresEvent[] = [];
  const server = await startEmbeddedPostgres({
    dataDir: join(parent, 'pg'),
    persistent: false,
    ...options,
    onEvent: (event) => {
      events.push(event);
      options.onEvent?.(event);
    },
  });
  handles.push(server);
  return { server, events, dataDir: join(parent, 'pg') };
}

describe('embedded PostgreSQL supervision', () => {
  it('restarts a SIGKILLed server on the same URL with committed data intact, and stop() leaves no server process', async () => {
    const { server, events, dataDir } = await startInTempDir();
    const clusterDir = server.clusterDir;
    // A reachable data directory is used where it is.
    expect(clusterDir).toBe(await realpath(dataDir));
    await query(server.url, 'CREATE TABLE kept (note text)');
    await query(server.url, `INSERT INTO kept VALUES ('committed before the kill')`);

    // A backend busy in a long query outlives its postmaster and keeps the
    // shared memory attached, which makes a plain restart refuse to start.
    const busy = new pg.Client({ connectionString: server.url });
    busy.on('error', () => {});
    await busy.connect();
    const busyQuery = busy
      .query('SELECT count(*) FROM generate_series(1, 1e12)')
      .catch((error: unknown) => error);
    await waitFor('the long query to be running', async () => {
      const [row] = await query<{ n: number }>(
        server.url,
        `SELECT count(*)::int AS n FROM pg_stat_activity
          WHERE state = 'active' AND query LIKE '%generate_series%' AND pid <> pg_backend_pid()`,
      );
      return row && row.n > 0 ? true : undefined;
    });

    const killed = server.pid;
    expect(killed).toBeTypeOf('number');
    process.kill(killed!, 'SIGKILL');

    const rows = await waitFor(
      'a connection to the restarted server',
      () => query<{ note: string }>(server.url, 'SELECT note FROM kept').catch(() => undefined),
      { timeoutMs: 120_000, intervalMs: 250 },
    );
    expect(rows).toEqual([{ note: 'committed before the kill' }]);
    expect(server.pid).toBeTypeOf('number');
    expect(server.pid).not.toBe(killed);
    expect(events).toContainEqual(expect.objectContaining({ type: 'exited', pid: killed }));
    expect(events).toContainEqual(expect.objectContaining({ type: 'restarted', pid: server.pid }));
    expect(await busyQuery).toBeInstanceOf(Error);
    await busy.end().catch(() => {});

    await server.stop();
    expect(server.pid).toBeUndefined();
    expect(await processesIn(clusterDir)).toEqual([]);
  }, 240_000);

  it('stop() during a pending restart cancels it and leaves no server process', async () => {
    // A long first pause keeps the restart pending while we stop.
    const { server, events } = await startInTempDir({ restart: { initialDelayMs: 5_000 } });
    const clusterDir = server.clusterDir;
    process.kill(server.pid!, 'SIGKILL');
    await waitFor('the exit to be noticed', () =>
      events.some((event) => event.type === 'exited') ? true : undefined,
    );

    await server.stop();

    expect(events.map((event) => event.type)).not.toContain('restarted');
    expect(server.pid).toBeUndefined();
    expect(await processesIn(clusterDir)).toEqual([]);
  }, 120_000);

  it('gives up after the allowed attempts when the server cannot come back, and says so', async () => {
    let port = 0;
    const blocker = createServer();
    servers.push(blocker);
    // Someone else takes the port as soon as the server is gone. The dead server's processes can
    // hold it a moment after the postmaster's exit (EADDRINUSE, seen in CI): try again every
    // 10 ms, at most 300 times. The first restart waits a second, by then the port is taken.
    let tries = 0;
    const takePort = () => {
      tries++;
      blocker.listen(port, '127.0.0.1');
    };
    blocker.on('error', (error: NodeJS.ErrnoException) => {
      if (error.code !== 'EADDRINUSE' || tries >= 300) throw error;
      setTimeout(takePort, 10);
    });
    const { server, events } = await startInTempDir({
      restart: { maxAttempts: 2, initialDelayMs: 1_000 },
      onEvent: (event) => {
        if (event.type === 'exited') takePort();
      },
    });
    port = Number(new URL(server.url).port);
    process.kill(server.pid!, 'SIGKILL');

    const gaveUp = await waitFor(
      'restarts to give up',
      () => events.find((event) => event.type === 'gave-up'),
      { timeoutMs: 60_000 },
    );

    expect(gaveUp).toMatchObject({ attempts: 2, error: expect.stringContaining('could not') });
    const supervision = events.filter((event) => event.type !== 'stale-cleared');
    expect(supervision.map((event) => event.type)).toEqual([
      'exited',
      'restart-failed',
      'restart-failed',
      'gave-up',
    ]);
    expect(server.pid).toBeUndefined();
  }, 120_000);
});
