/**
 * BENCH_PROFILE=1 in the distributed phase: a CPU profile of each service process over the
 * saturated window, taken by `profile-probe.mjs` inside the process (loaded through
 * NODE_OPTIONS) and summarised as the in-process phases' profiles are.
 */
import { mkdtemp, readFile, rm } from 'node:fs/promises';
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
  /** Stops it and reads each process's summary (null: none written in time). */
  collect(pids: readonly number[]): Promise<(ProfileSummary | null)[]>;
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
  const read = async (pid: number): Promise<ProfileSummary | null> => {
    const deadline = Date.now() + WRITE_MS;
    for (;;) {
      try {
        const text = await readFile(join(dir, `${pid}.cpuprofile`), 'utf8');
        return summarizeProfile(JSON.parse(text) as Parameters<typeof summarizeProfile>[0], 12);
      } catch {
        if (Date.now() > deadline) return null;
        await sleep(200);
      }
    }
  };
  return {
    env: { NODE_OPTIONS: `--import="${PROBE}"`, BENCH_PROFILE_DIR: dir },
    start: signal,
    async collect(pids) {
      signal(pids);
      return Promise.all(pids.map(read));
    },
    close: () => rm(dir, { recursive: true, force: true }),
  };
}
