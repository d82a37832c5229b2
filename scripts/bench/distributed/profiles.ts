/**
 * BENCH_PROFILE=1 in the distributed phase: a CPU profile of each service process over the
 * saturated window, taken by `profile-probe.mjs` inside the process (loaded through
 * NODE_OPTIONS) and summarised as the in-process phases' profiles are. The profiles themselves
 * stay in a directory of their own, one `<process>.cpuprofile` each (Chrome DevTools opens them):
 * the summary names the hottest functions, the profile says who calls them.
 */
import { mkdtemp, readFile, rename, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { summarizeProfile, type ProfileSummary } from '../profile.js';
import { sleep } from '../time.js';

const PROBE = fileURLToPath(new URL('./profile-probe.mjs', import.meta.url));

/** Longest wait for a process's profile after it was told to stop (it is written whole). */
const WRITE_MS = 15_000;

export interface ServiceProfiles {
  /** Added to each service's environment. */
  readonly env: Readonly<Record<string, string>>;
  /** Starts the profiler in each process. */
  start(pids: readonly number[]): void;
  /**
   * Stops it and reads each process's summary (null: none written in time); each profile is
   * kept as `<name>.cpuprofile` in `dir`.
   */
  collect(pids: readonly number[], names: readonly string[]): Promise<(ProfileSummary | null)[]>;
  /** Where the profiles are kept. */
  readonly dir: string;
  /** Removes the directory when no profile was kept in it. */
  close(): Promise<void>;
}

export async function serviceProfiles(): Promise<ServiceProfiles> {
  const dir = await mkdtemp(join(tmpdir(), 'orrery-profiles-'));
  const signal = (pids: readonly number[]) => {
    for (const pid of pids) {
      try {
        process.kill(pid, 'SIGUSR2');
      } catch {
        // The process has ended: it will have no profile.
      }
    }
  };
  let kept = 0;
  const read = async (pid: number, name: string): Promise<ProfileSummary | null> => {
    const deadline = Date.now() + WRITE_MS;
    for (;;) {
      try {
        const file = join(dir, `${pid}.cpuprofile`);
        const text = await readFile(file, 'utf8');
        await rename(file, join(dir, `${name.replace(/[^\w.-]+/g, '-')}.cpuprofile`));
        kept += 1;
        return summarizeProfile(JSON.parse(text) as Parameters<typeof summarizeProfile>[0], 12);
      } catch {
        if (Date.now() > deadline) return null;
        await sleep(200);
      }
    }
  };
  return {
    env: { NODE_OPTIONS: `--import="${PROBE}"`, BENCH_PROFILE_DIR: dir },
    dir,
    start: signal,
    async collect(pids, names) {
      signal(pids);
      return Promise.all(pids.map((pid, i) => read(pid, names[i] ?? String(pid))));
    },
    close: async () => {
      if (kept === 0) await rm(dir, { recursive: true, force: true });
    },
  };
}
