import { execFile } from 'node:child_process';
import { cp, lstat, mkdir, mkdtemp, readlink, stat, writeFile, chmod } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { promisify } from 'node:util';
import { afterEach, describe, expect, it } from 'vitest';
import { packagedBinaries, reachableBinaries } from './binaries.js';
import { startEmbeddedPostgres, type EmbeddedPostgresHandle } from './embedded-postgres.js';
import type { EmbeddedPostgresEvent } from './events.js';
import { FALLBACK_ROOT } from './reachable-dir.js';
import { serverUser } from './server-user.js';
import { query, removeAll } from './test-support.js';

const run = promisify(execFile);
const root = process.getuid?.() === 0;
const needsRoot =
  'skipped: runs only as root, the one case where the server switches to the postgres user';

const handles: EmbeddedPostgresHandle[] = [];
const dirs: string[] = [];

afterEach(async () => {
  for (const handle of handles.splice(0)) await handle.stop();
  // The fallback root too, if these tests created it and nothing else is in it.
  await removeAll(dirs, [join(FALLBACK_ROOT, 'clusters'), FALLBACK_ROOT]);
});

describe('embedded PostgreSQL as root, with paths only root may enter', () => {
  it('keeps the cluster where the server user can reach it, and finds the same data after a restart', async (context) => {
    if (!root) context.skip(needsRoot);
    // mkdtemp makes the directory 0700, owned by root: the server user cannot enter it.
    const parent = await mkdtemp(join(tmpdir(), 'orrery-root-only-'));
    dirs.push(parent);
    expect((await stat(parent)).mode & 0o777).toBe(0o700);
    const dataDir = join(parent, 'pg');
    const events: EmbeddedPostgresEvent[] = [];
    const onEvent = (event: EmbeddedPostgresEvent) => events.push(event);

    const first = await startEmbeddedPostgres({ dataDir, persistent: true, onEvent });
    handles.push(first);
    dirs.push(first.clusterDir);
    await query(first.url, 'CREATE TABLE kept (note text)');
    await query(first.url, `INSERT INTO kept VALUES ('written by the first run')`);
    await first.stop();

    const second = await startEmbeddedPostgres({ dataDir, persistent: true, onEvent });
    handles.push(second);
    expect(await query(second.url, 'SELECT note FROM kept')).toEqual([
      { note: 'written by the first run' },
    ]);
    expect(second.clusterDir).toBe(first.clusterDir);
    expect(first.clusterDir.startsWith(`${FALLBACK_ROOT}/`)).toBe(true);
    // The data directory records where the cluster went, and the parent stays private.
    expect((await lstat(dataDir)).isSymbolicLink()).toBe(true);
    expect(await readlink(dataDir)).toBe(first.clusterDir);
    expect((await stat(parent)).mode & 0o777).toBe(0o700);
    expect(events.filter((event) => event.type === 'relocated')).toEqual([
      { type: 'relocated', dataDir, clusterDir: first.clusterDir, created: true },
      { type: 'relocated', dataDir, clusterDir: first.clusterDir, created: false },
    ]);
  }, 240_000);

  it('runs binaries installed where the server user cannot enter from a reachable copy', async (context) => {
    if (!root) context.skip(needsRoot);
    const user = await serverUser();
    const packaged = await packagedBinaries();
    // The installed package as a checkout in root's home would have it: inside a 0700 directory.
    const hidden = await mkdtemp(join(tmpdir(), 'orrery-root-only-pkg-'));
    const fallback = await mkdtemp(join(tmpdir(), 'orrery-fallback-'));
    dirs.push(hidden, fallback);
    await chmod(fallback, 0o755);
    const native = dirname(dirname(packaged.postgres));
    await mkdir(join(hidden, 'pkg'));
    await cp(native, join(hidden, 'pkg', 'native'), { recursive: true, verbatimSymlinks: true });
    await writeFile(join(hidden, 'pkg', 'package.json'), JSON.stringify({ version: '0.0.0-test' }));
    const moved = (program: string) => join(hidden, 'pkg', 'native', 'bin', program);
    const unreachable = { postgres: moved('postgres'), initdb: moved('initdb') };
    const asServer = { uid: user.uid!, gid: user.gid!, cwd: '/' };
    await expect(run(unreachable.postgres, ['--version'], asServer)).rejects.toThrow();

    const { binaries, copiedTo } = await reachableBinaries(unreachable, user, fallback);

    expect(copiedTo).toBe(join(fallback, 'postgres-0.0.0-test'));
    for (const program of [binaries.postgres, binaries.initdb])
      expect((await run(program, ['--version'], asServer)).stdout).toMatch(/\(PostgreSQL\) 18/);
    // Reachable binaries are used where they are.
    expect(await reachableBinaries(packaged, user, fallback)).toEqual({ binaries: packaged });
  }, 120_000);
});
