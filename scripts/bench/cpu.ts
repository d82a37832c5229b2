/**
 * Where the machine's CPU went during a phase: this process (and how busy its
 * main event loop was), the local Postgres and Redis server processes (read
 * from /proc when they run on this machine), and the whole machine.
 */
import { readdir, readFile } from 'node:fs/promises';
import { performance, type EventLoopUtilization } from 'node:perf_hooks';

const TICK_MS = 10; // USER_HZ is 100 on Linux

interface ProcTimes {
  /** pid → cpu ms, for the server processes we watch. */
  readonly byPid: Map<number, { comm: string; ms: number }>;
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
   * visible here). Other databases' backends on a shared server are left out.
   */
  readonly postgresPct: number | null;
  readonly redisPct: number | null;
  /** % of all cores busy (null: /proc/stat unreadable). */
  readonly machineBusyPct: number | null;
  readonly cores: number;
}

const WATCHED = new Set(['postgres', 'redis-server']);

async function procTimes(): Promise<ProcTimes> {
  const byPid = new Map<number, { comm: string; ms: number }>();
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
          // Fields after the command name (which may hold spaces) start at ") ".
          const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
          const utime = Number(fields[11]);
          const stime = Number(fields[12]);
          byPid.set(Number(pid), { comm, ms: (utime + stime) * TICK_MS });
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

  /** `postgresPids`: the Postgres processes to count (none: Postgres is not reported). */
  async stop(postgresPids?: ReadonlySet<number>): Promise<CpuReport> {
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
    const machine =
      end.machine && start?.machine && end.machine.total > start.machine.total
        ? ((end.machine.busy - start.machine.busy) / (end.machine.total - start.machine.total)) *
          100
        : null;
    return {
      wallMs,
      nodeProcessPct: ((cpu.user + cpu.system) / 1000 / wallMs) * 100,
      mainLoopUtilisation: elu.utilization,
      postgresPct: postgresPids ? serverPct('postgres', postgresPids) : null,
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
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    const rssKb = Number(/^VmRSS:\s+(\d+)/m.exec(status)?.[1] ?? NaN);
    return {
      cpuMs: (Number(fields[11]) + Number(fields[12])) * TICK_MS,
      rssMb: rssKb / 1024,
    };
  } catch {
    return null;
  }
}
