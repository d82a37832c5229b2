import { chmod, mkdtemp, realpath } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { afterEach, describe, expect, it } from 'vitest';
import { startEmbeddedPostgres, type EmbeddedPostgresHandle } from './embedded-postgres.js';
import type { EmbeddedPostgresEvent } from './events.js';
import { processesIn, query, removeAll, waitFor } from './test-support.js';

const handles: EmbeddedPostgresHandle[] = [];
const dirs: string[] = [];

afterEach(async () => {
  for (const handle of handles.splice(0)) await handle.stop();
  await removeAll(dirs);
});

describe('embedded PostgreSQL supervision', () => {
  it('restarts a SIGKILLed server on the same URL with committed data intact, and stop() leaves no server process', async () => {
    // A directory the server user can reach: the cluster stays where it was asked to be.
    const parent = await mkdtemp(join(tmpdir(), 'orrery-pg-restart-'));
    dirs.push(parent);
    await chmod(parent, 0o755);
    const events: EmbeddedPostgresEvent[] = [];
    const server = await startEmbeddedPostgres({
      dataDir: join(parent, 'pg'),
      persistent: false,
      onEvent: (event) => events.push(event),
    });
    handles.push(server);
    const clusterDir = server.clusterDir;
    expect(clusterDir).toBe(await realpath(join(parent, 'pg')));
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
});
