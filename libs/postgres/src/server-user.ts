import { execFile } from 'node:child_process';
import { dirname, parse, resolve } from 'node:path';
import { promisify } from 'node:util';

const run = promisify(execFile);

/**
 * Who the PostgreSQL server runs as. As root we switch to `postgres` (the
 * server refuses root); otherwise it runs as us and `uid`/`gid` are unset.
 */
export interface ServerUser {
  readonly name: string;
  readonly uid?: number;
  readonly gid?: number;
}

/** PostgreSQL refuses to run as root: as root, run it as the `postgres` user (created if missing). */
export async function serverUser(): Promise<ServerUser> {
  if (process.getuid?.() !== 0) return { name: 'the current user' };
  const ids = async () => ({
    name: 'postgres',
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

/** True when we switch users, i.e. when paths must be checked from the server user's side. */
export function switchesUser(user: ServerUser): user is Required<ServerUser> {
  return user.uid !== undefined && user.gid !== undefined;
}

/**
 * Whether `user` can search (enter) `path` and every directory above it, or
 * execute it when it is a file. Asked of the OS as that user, so modes, ACLs
 * and mount options all count.
 *
 * Why run `test -x` rather than read modes: Node (libuv) drops supplementary
 * groups when it spawns with a uid, so the server gets only the user's primary
 * group. A probe spawned the same way has exactly the server's credentials.
 */
export async function canReach(path: string, user: ServerUser): Promise<boolean> {
  if (!switchesUser(user)) return true;
  try {
    await run('test', ['-x', path], { uid: user.uid, gid: user.gid, cwd: '/' });
    return true;
  } catch {
    return false;
  }
}

/** The highest directory on the way to `path` that `user` cannot enter, if any (for messages). */
export async function firstUnreachable(
  path: string,
  user: ServerUser,
): Promise<string | undefined> {
  const chain: string[] = [];
  for (let dir = resolve(path); dir !== parse(dir).root; dir = dirname(dir)) chain.unshift(dir);
  for (const dir of chain) if (!(await canReach(dir, user))) return dir;
  return undefined;
}
