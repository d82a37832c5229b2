/** What every measured window collects besides its own counts: CPU, SQL, and optionally a profile. */
import { availableParallelism } from 'node:os';
import { CpuMeter, type CpuReport } from './cpu.js';
import { CpuProfiler, type ProfileSummary } from './profile.js';
import type { SqlStat, SqlTrace } from './sql-trace.js';

export interface WindowMeters {
  readonly cpu: CpuReport | null;
  readonly sql: SqlStat[];
  readonly orderingLock: ReturnType<SqlTrace['lock']> | null;
  readonly profile: ProfileSummary | null;
}

export class PhaseMeters {
  readonly #cpu = new CpuMeter(availableParallelism());
  readonly #profiler: CpuProfiler | undefined;
  #result: WindowMeters = { cpu: null, sql: [], orderingLock: null, profile: null };

  constructor(
    private readonly sql: SqlTrace | undefined,
    profile: boolean,
  ) {
    this.#profiler = profile ? new CpuProfiler() : undefined;
  }

  start = async (): Promise<void> => {
    this.sql?.reset();
    await this.#profiler?.start();
    await this.#cpu.start();
  };

  /** `postgresPids`: the Postgres processes serving this phase (see CpuMeter.stop). */
  stop = async (postgresPids?: ReadonlySet<number>): Promise<void> => {
    const cpu = await this.#cpu.stop(postgresPids);
    const sql = this.sql?.stats() ?? [];
    const orderingLock = this.sql?.lock() ?? null;
    const profile = (await this.#profiler?.stop()) ?? null;
    this.#result = { cpu, sql, orderingLock, profile };
  };

  get result(): WindowMeters {
    return this.#result;
  }
}
