import { chmod, mkdir, stat } from 'node:fs/promises';
import { dirname } from 'node:path';

/**
 * Where embedded PostgreSQL keeps what its server user must reach when the
 * caller's paths are closed to it (we run as root; the server cannot).
 */
export const FALLBACK_ROOT = '/var/lib/orrery';

/**
 * Creates `dir` and any missing parents as world-searchable (0755).
 *
 * Why not `mkdir(dir, { recursive: true, mode })`: the mode is masked by the
 * umask, and a root shell with umask 077 would make 0700 directories that the
 * server user cannot enter, which is the problem this directory is for.
 * Directories that already exist keep their mode.
 */
export async function mkdirReachable(dir: string): Promise<void> {
  if (await exists(dir)) return;
  await mkdirReachable(dirname(dir));
  try {
    await mkdir(dir);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
    return;
  }
  await chmod(dir, 0o755);
}

export async function exists(path: string): Promise<boolean> {
  return stat(path).then(
    () => true,
    () => false,
  );
}
