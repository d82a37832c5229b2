/**
 * Where the machine's CPU went during a phase: this process (and how busy its
 * main event loop was), the local Postgres and Redis server processes (read
 * from /proc when they run on this machine), and the whole machine.
 */
import { readdir, readFile } from 'node:fs/promises';
import { performance, type EventLoopUtilization } from 'node:perf_hooks';
import { statFields } from '../lib/proc-stat.js';

const TICK_MS = 10; // USER_HZ is 100 on Linux

interface ProcTimes {
  /**
   * pid → cpu ms, for the server processes we watch, with the parent's pid and the cpu ms of
   * the children the process has reaped (a Postgres server's ended backends, for its postmaster).
   */
  readonly byPid: Map<number, { comm: string; ms: number; ppid: number; reapedMs: number }>;
  readonly machine: { busy: number; total: number } | null;
}

export interface CpuReport {
  readonly wallMs: number;
  /** % of one core used by this process (all threads). */
  readonly nodeProcessPct: number;
  /** Event loop utilisation of the main thread (1 = never idle). */
  readonly mainLoopUtilisation: number;
  /**
   * % of one core, summed over the Postgres processes that served this window: the bench
   * database's backends and the server's background processes (null: not measured or not
   * visible here). Other databases' backends on a shared server are left out — but for a window
   * whose backends come and go (a replay opens and closes its own), the whole server's: every
   * process of its postmaster, those that ended during the window included.
   */
  readonly postgresPct: number | null;
  readonly redisPct: number | null;
  /** % of all cores busy (null: /proc/stat unreadable). */
  readonly machineBusyPct: number | null;
  readonly cores: number;
}

const WATCHED = new Set(['postgres', 'redis-server']);

async function procTimes(): Promise<ProcTimes> {
  const byPid: ProcTimes['byPid'] = new Map();
  let entries: string[] = [];
  try {
    entries = await readdir('/proc');
  } catch {
    return { byPid, machine: null };
  }
  await Promise.all(
    entries
      .filter((e) => /^\d+$/.test(e))
      .map(async (pid) => {
        try {
          const comm = (await readFile(`/proc/${pid}/comm`, 'utf8')).trim();
          if (!WATCHED.has(comm)) return;
          const stat = await readFile(`/proc/${pid}/stat`, 'utf8');
          const fields = statFields(stat);
          const [utime, stime, cutime, cstime] = [11, 12, 13, 14].map((i) => Number(fields[i]));
          byPid.set(Number(pid), {
            comm,
            ms: (utime! + stime!) * TICK_MS,
            ppid: Number(fields[1]),
            reapedMs: (cutime! + cstime!) * TICK_MS,
          });
        } catch {
          // The process ended meanwhile.
        }
      }),
  );
  let machine: ProcTimes['machine'] = null;
  try {
    const line = (await readFile('/proc/stat', 'utf8')).split('\n')[0] ?? '';
    const values = line.trim().split(/\s+/).slice(1).map(Number);
    const total = values.reduce((a, b) => a + b, 0);
    const idle = (values[3] ?? 0) + (values[4] ?? 0);
    machine = { busy: total - idle, total };
  } catch {
    machine = null;
  }
  return { byPid, machine };
}

export class CpuMeter {
  #startWall = 0;
  #startCpu: NodeJS.CpuUsage = { user: 0, system: 0 };
  #startElu: EventLoopUtilization | undefined;
  #startProc: ProcTimes | undefined;

  constructor(private readonly cores: number) {}

  async start(): Promise<void> {
    this.#startProc = await procTimes();
    this.#startWall = performance.now();
    this.#startCpu = process.cpuUsage();
    this.#startElu = performance.eventLoopUtilization();
  }

  /**
   * `postgres`: the Postgres processes to count, or the postmaster of a server to count whole
   * (none: Postgres is not reported).
   */
  async stop(postgres?: ReadonlySet<number> | { readonly postmaster: number }): Promise<CpuReport> {
    const wallMs = performance.now() - this.#startWall;
    const cpu = process.cpuUsage(this.#startCpu);
    const elu = performance.eventLoopUtilization(this.#startElu);
    const end = await procTimes();
    const start = this.#startProc;
    const serverPct = (comm: string, only?: ReadonlySet<number>): number | null => {
      let seen = false;
      let ms = 0;
      for (const [pid, now] of end.byPid) {
        if (now.comm !== comm || (only && !only.has(pid))) continue;
        seen = true;
        ms += now.ms - (start?.byPid.get(pid)?.ms ?? 0);
      }
      return seen ? (ms / wallMs) * 100 : null;
    };
    // The postmaster and its processes: their CPU in the window, and that of the processes it
    // reaped meanwhile (counted whole by the kernel, less what they had used before the window).
    const serverWholePct = (postmaster: number): number | null => {
      const before = start?.byPid.get(postmaster);
      const after = end.byPid.get(postmaster);
      if (!before || !after) return null;
      let ms = after.ms + after.reapedMs - before.ms - before.reapedMs;
      for (const [pid, now] of end.byPid) {
        if (now.ppid === postmaster) ms += now.ms - (start?.byPid.get(pid)?.ms ?? 0);
      }
      for (const [pid, then] of start?.byPid ?? []) {
        if (then.ppid === postmaster && !end.byPid.has(pid)) ms -= then.ms;
      }
      return (ms / wallMs) * 100;
    };
    const machine =
      end.machine && start?.machine && end.machine.total > start.machine.total
        ? ((end.machine.busy - start.machine.busy) / (end.machine.total - start.machine.total)) *
          100
        : null;
    return {
      wallMs,
      nodeProcessPct: ((cpu.user + cpu.system) / 1000 / wallMs) * 100,
      mainLoopUtilisation: elu.utilization,
      postgresPct:
        postgres === undefined
          ? null
          : 'postmaster' in postgres
            ? serverWholePct(postgres.postmaster)
            : serverPct('postgres', postgres),
      redisPct: serverPct('redis-server'),
      machineBusyPct: machine,
      cores: this.cores,
    };
  }
}

/** CPU ms (user + system) and resident memory (MB) of one process, from /proc (null: gone or unreadable). */
export async function processUsage(pid: number): Promise<{ cpuMs: number; rssMb: number } | null> {
  try {
    const [stat, status] = await Promise.all([
      readFile(`/proc/${pid}/stat`, 'utf8'),
      readFile(`/proc/${pid}/status`, 'utf8'),
    ]);
    const fields = statFields(stat);
    const rssKb = Number(/^VmRSS:\s+(\d+)/m.exec(status)?.[1] ?? NaN);
    return {
      cpuMs: (Number(fields[11]) + Number(fields[12])) * TICK_MS,
      rssMb: rssKb / 1024,
    };
  } catch {
    return null;
  }
}
