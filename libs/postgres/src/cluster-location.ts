import { createHash } from 'node:crypto';
import { existsSync } from 'node:fs';
import {
  chown,
  lstat,
  mkdir,
  readdir,
  readlink,
  realpath,
  rename,
  rmdir,
  symlink,
} from 'node:fs/promises';
import { dirname, join, resolve, sep } from 'node:path';
import { FALLBACK_ROOT, exists, mkdirReachable } from './reachable-dir.js';
import { canReach, firstUnreachable, switchesUser, type ServerUser } from './server-user.js';

/** Where a data directory's cluster lives, and whether it had to move. */
export interface ClusterLocation {
  /** The directory the server runs on (a real path the server user can reach). */
  readonly clusterDir: string;
  /**
   * Set when the server user cannot reach the data directory, so the cluster
   * lives under the fallback root and the data directory is a symbolic link to
   * it (that link is how later starts find it).
   */
  readonly relocated?: {
    /** True when this start created the cluster directory (a fresh cluster). */
    readonly created: boolean;
    /** An older cluster for the same path, found without a link to it and set aside here. */
    readonly setAside?: string;
  };
}

/**
 * The data directory cannot be used by the server's user and the cluster
 * cannot be kept elsewhere. The message says what to change.
 */
export class UnreachableDataDirError extends Error {
  override readonly name = 'UnreachableDataDirError';
  constructor(
    readonly dataDir: string,
    readonly blockedBy: string,
    user: ServerUser,
    detail: string,
  ) {
    super(
      `PostgreSQL runs as user "${user.name}" (it refuses to run as root), and "${user.name}" ` +
        `cannot enter ${blockedBy}, so it cannot use ${dataDir}: ${detail}. Choose a data ` +
        `directory whose every parent "${user.name}" may enter (for example under /var/lib ` +
        `or /srv), let it in (chmod o+x ${blockedBy}), or run as a non-root user.`,
    );
  }
}

/**
 * Decides where the cluster for `dataDir` lives. Without a user switch (not
 * root) it is `dataDir`, as it always was. As root the server runs as
 * another user, and a data directory below a directory only root may enter
 * (a checkout in /root, a `mktemp -d` directory) is out of its reach: a fresh
 * cluster then lives in `<fallbackRoot>/clusters/<hash of the real path>`,
 * owned by the server user, and `dataDir` becomes a link to it.
 *
 * An existing cluster is never moved: if it became unreachable, this throws.
 */
export async function locateCluster(
  dataDir: string,
  user: ServerUser,
  fallbackRoot = FALLBACK_ROOT,
): Promise<ClusterLocation> {
  const path = resolve(dataDir);
  if (!switchesUser(user)) return { clusterDir: path };
  const linked = await linkedFallback(path, fallbackRoot);
  if (linked) {
    const created = await ensureClusterDir(linked, user);
    return { clusterDir: linked, relocated: { created } };
  }
  const existed = await exists(path);
  await mkdir(path, { recursive: true });
  // The real path: the server must not walk through links whose own parents it cannot enter.
  const real = await realpath(path);
  const fresh = !existsSync(join(real, 'PG_VERSION'));
  // initdb runs as the server user and must own the directory it fills.
  if (fresh) await chown(real, user.uid, user.gid);
  if (await canReach(real, user)) return { clusterDir: real };

  const blockedBy = (await firstUnreachable(real, user)) ?? real;
  const refuse = (detail: string) => new UnreachableDataDirError(path, blockedBy, user, detail);
  if (!fresh) throw refuse('it holds a cluster, which is not moved automatically');
  if ((await lstat(path)).isSymbolicLink())
    throw refuse('it is a link to a directory out of reach');
  if ((await readdir(real)).length > 0) throw refuse('it is not empty');
  const target = join(fallbackRoot, 'clusters', hashOf(real));
  let setAside: string | undefined;
  try {
    // A cluster there without our link to it belongs to a data directory that
    // was deleted: starting afresh is what deleting it asked for, but the
    // data is kept (and reported) rather than removed.
    if (await exists(target)) {
      setAside = `${target}.set-aside-${Date.now()}`;
      await rename(target, setAside);
    }
    await ensureClusterDir(target, user);
    if (!(await canReach(target, user))) throw new Error(`"${user.name}" cannot enter it either`);
  } catch (error) {
    if (!existed) await rmdir(path).catch(() => {});
    throw refuse(`keeping the cluster in ${target} instead failed (${messageOf(error)})`);
  }
  await rmdir(path);
  await symlink(target, path);
  return { clusterDir: target, relocated: { created: true, ...(setAside ? { setAside } : {}) } };
}

/** The fallback cluster `path` links to, if it is one of our links. */
async function linkedFallback(path: string, fallbackRoot: string): Promise<string | undefined> {
  const stats = await lstat(path).catch(() => undefined);
  if (!stats?.isSymbolicLink()) return undefined;
  const target = resolve(dirname(path), await readlink(path));
  return target.startsWith(resolve(fallbackRoot) + sep) ? target : undefined;
}

/** Creates the cluster directory (0700, owned by the server user) if missing; true if it did. */
async function ensureClusterDir(dir: string, user: Required<ServerUser>): Promise<boolean> {
  if (await exists(dir)) return false;
  await mkdirReachable(dirname(dir));
  await mkdir(dir, { mode: 0o700 });
  await chown(dir, user.uid, user.gid);
  return true;
}

function hashOf(path: string): string {
  return createHash('sha256').update(path).digest('hex').slice(0, 16);
}

function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
