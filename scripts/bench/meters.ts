/** What every measured window collects besides the pipeline's own meters: CPU, and optionally a profile. */
import { availableParallelism } from 'node:os';
import { CpuMeter, type CpuReport } from './cpu.js';
import { CpuProfiler, type ProfileSummary } from './profile.js';

export interface WindowMeters {
  readonly cpu: CpuReport | null;
  readonly profile: ProfileSummary | null;
}

export class PhaseMeters {
  readonly #cpu = new CpuMeter(availableParallelism());
  readonly #profiler: CpuProfiler | undefined;
  #result: WindowMeters = { cpu: null, profile: null };

  constructor(profile: boolean) {
    this.#profiler = profile ? new CpuProfiler() : undefined;
  }

  start = async (): Promise<void> => {
    await this.#profiler?.start();
    await this.#cpu.start();
  };

  /** `postgres`: the Postgres processes serving this phase, or a whole server (see CpuMeter.stop). */
  stop = async (postgres?: Parameters<CpuMeter['stop']>[0]): Promise<void> => {
    const cpu = await this.#cpu.stop(postgres);
    const profile = (await this.#profiler?.stop()) ?? null;
    this.#result = { cpu, profile };
  };

  get result(): WindowMeters {
    return this.#result;
  }
}
