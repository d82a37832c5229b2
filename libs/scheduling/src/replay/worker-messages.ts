import type { ReplayTimings } from './fold-into.js';
import type { FinalRows } from './final-rows.js';
import type { ReadyRows } from './ready-rows.js';

/** What a fold worker is asked to do (its `workerData`). */
export interface WorkerTask {
  readonly connectionString: string;
  /** The log from position 0 through this one. */
  readonly through: number;
  readonly batchSize: number;
  readonly verify: boolean;
  /** Keep only these tenants' events (null: all). */
  readonly tenants: readonly string[] | null;
  readonly partition: { readonly index: number; readonly count: number };
}

/** From a worker: after each chunk (rows to write, if any), then once at the end. */
export type FromWorker =
  | {
      readonly type: 'chunk';
      readonly rows: ReadyRows | null;
      /** Events of this part read so far, and the position read through. */
      readonly read: number;
      readonly position: number;
    }
  | {
      readonly type: 'done';
      readonly result: FinalRows;
      readonly read: number;
      readonly timings: Omit<ReplayTimings, 'finishMs'>;
    };

/** To a worker: the rows it handed over are written. */
export type ToWorker = { readonly type: 'written' };
