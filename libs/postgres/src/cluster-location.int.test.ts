import { chmod, mkdtemp, readdir, readlink, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { locateCluster, UnreachableDataDirError } from './cluster-location.js';
import { serverUser } from './server-user.js';
import { removeAll } from './test-support.js';

const root = process.getuid?.() === 0;
const needsRoot =
  'skipped: runs only as root, the one case where the server switches to the postgres user';
const dirs: string[] = [];

afterEach(() => removeAll(dirs));

/** A directory only root may enter (as `mktemp -d` makes it), and a reachable fallback root. */
async function setUp() {
  const parent = await mkdtemp(join(tmpdir(), 'orrery-root-only-'));
  const fallback = await mkdtemp(join(tmpdir(), 'orrery-fallback-'));
  dirs.push(parent, fallback);
  await chmod(fallback, 0o755);
  return { dataDir: join(parent, 'pg'), parent, fallback, user: await serverUser() };
}

describe('where the cluster of a data directory lives, as root', () => {
  it('starts afresh when the data directory was deleted, and keeps the old cluster aside', async (context) => {
    if (!root) context.skip(needsRoot);
    const { dataDir, parent, fallback, user } = await setUp();
    const first = await locateCluster(dataDir, user, fallback);
    expect(first.relocated).toEqual({ created: true });
    expect(await readlink(dataDir)).toBe(first.clusterDir);
    const owner = await stat(first.clusterDir);
    expect([owner.uid, owner.mode & 0o777]).toEqual([user.uid, 0o700]);
    await writeFile(join(first.clusterDir, 'PG_VERSION'), '18\n');

    await rm(join(parent, 'pg')); // what `rm -rf .orrery` does to the link
    const second = await locateCluster(dataDir, user, fallback);

    expect(second.clusterDir).toBe(first.clusterDir);
    expect(second.relocated?.created).toBe(true);
    expect(await readdir(second.clusterDir)).toEqual([]);
    expect(await readdir(second.relocated!.setAside!)).toEqual(['PG_VERSION']);
  });

  it('says what to change when the cluster cannot be kept elsewhere either', async (context) => {
    if (!root) context.skip(needsRoot);
    const { dataDir, parent, fallback, user } = await setUp();
    const blocked = join(fallback, 'not-a-directory');
    await writeFile(blocked, '');

    const error = await locateCluster(dataDir, user, blocked).catch((e: unknown) => e);

    expect(error).toBeInstanceOf(UnreachableDataDirError);
    expect((error as Error).message).toContain(`"postgres" cannot enter ${parent}`);
    expect((error as Error).message).toContain(`chmod o+x ${parent}`);
    expect(await readdir(parent)).toEqual([]);
  });

  it('leaves a data directory the server user can reach where it is', async (context) => {
    if (!root) context.skip(needsRoot);
    const { dataDir, parent, fallback, user } = await setUp();
    await chmod(parent, 0o755);

    const location = await locateCluster(dataDir, user, fallback);

    expect(location).toEqual({ clusterDir: dataDir });
    expect((await stat(dataDir)).uid).toBe(user.uid);
    expect(await readdir(fallback)).toEqual([]);
  });
});
