import { SeriesMap } from '../stats.js';

/** Counters and samples of one pipeline; samples count only inside the measured window. */
export class PipelineStats {
  enqueued = 0;
  pickedUp = 0;
  recorded = 0;
  failedCalls = 0;
  redispatched = 0;
  ticks = 0;
  maxAppended = 0;
  maxProjected = 0;
  queueErrors = new Map<string, number>();
  /** Operation timings (ms) and batch sizes, in the window. */
  ops = new SeriesMap();
  /** Per-run stage durations (ms), for runs that belong to the window. */
  stages = new SeriesMap();
  /** Lateness of the last second, for the status line. */
  recentLateness: number[] = [];
  readonly enqueuedAt = new Map<string, number>();
  measuring = false;
  /** Which runs belong to the window. */
  inWindow: (scheduledFor: number, recordedAt: number) => boolean = () => false;

  op(name: string, value: number): void {
    if (this.measuring) this.ops.get(name).add(value);
  }

  resetWindow(): void {
    this.ops = new SeriesMap();
    this.stages = new SeriesMap();
  }
}
