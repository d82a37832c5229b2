/** The distributed phase's results (under `distributed` in the JSON). */
import type { CpuReport } from '../cpu.js';
import type { SecondOfLateness } from '../orrery/by-second.js';
import type { ProfileSummary } from '../profile.js';
import type { Summary } from '../stats.js';

/** One service process over the saturated window. */
export interface ProcessFigures {
  readonly label: string;
  /** % of one core over the window (null: not readable from /proc). */
  readonly cpuPct: number | null;
  /** Resident memory at the window's start and end, MB. */
  readonly rssMb: { readonly start: number | null; readonly end: number | null };
  /** Its main thread's CPU profile over the window (BENCH_PROFILE=1; else null). */
  readonly profile: ProfileSummary | null;
}

/** The topology with `executors` executor processes: one lateness load, then saturated. */
export interface DistributedPoint {
  readonly executors: number;
  /** Ready after spawning, ms (every process logged that it had started). */
  readonly startMs: number;
  readonly lateness: {
    readonly offeredPerSecond: number;
    readonly endpoints: number;
    readonly slotsOffered: number;
    /** Slots of the window whose call started (from the runs read model). */
    readonly callsStarted: number;
    /** Slot → HTTP call start, ms (signed: negative would be early). */
    readonly callStart: Summary;
    readonly earlyCalls: number;
    /** The window's first second, counted from the first slot. */
    readonly windowStartSecond: number;
    /** Call-start lateness second by second from the first slot (the warm-up's too). */
    readonly bySecond: readonly SecondOfLateness[];
  };
  readonly throughput: {
    /** Endpoints on the smallest interval added on top of the lateness load, all due at once. */
    readonly endpoints: number;
    readonly everyMs: number;
    /** ResponseRecorded appended per second in the window (both loads). */
    readonly runsPerSecond: number;
    /** Over the baseline's mean in the same bench run (null: no baseline run). */
    readonly ratio: number | null;
    readonly processes: readonly ProcessFigures[];
    /**
     * The rest of the machine over the same window (null: not measured): `postgresPct` the bench
     * database's backends and the server's background processes, `redisPct`, `nodeProcessPct`
     * the bench process (the loopback target's thread, the bench's own reads), `machineBusyPct`.
     */
    readonly servers: CpuReport | null;
  };
}

export interface DistributedResult {
  readonly seconds: number;
  readonly warmupSeconds: number;
  /** Warm-up of the lateness windows (the services were just spawned). */
  readonly latenessWarmupSeconds: number;
  readonly points: readonly DistributedPoint[];
  /** The point with the most runs/s: the topology's capacity on this machine. */
  readonly best: { readonly executors: number; readonly runsPerSecond: number } | null;
}
