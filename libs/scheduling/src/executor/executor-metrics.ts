import type { QueuePayload } from '@orrery/domain';
import type { CallOutcome } from '@orrery/http';
import { DURATION_BUCKETS_S, seconds } from '@orrery/telemetry';
import type { Attributes, Counter, Histogram, Meter } from '@opentelemetry/api';

/** The executor's instruments (see docs/observability.md). */
export const EXECUTOR_METRICS = {
  /** Jobs skipped because their lease lapsed while they waited in the queue. */
  staleSkips: 'orrery.executor.stale_skips',
  /** Dispatch (RunDispatched.dispatchedAt) → an executor takes the job, in s. */
  queueWait: 'orrery.executor.queue.wait',
  /** Slot (scheduledFor) → the HTTP call starts, in s. */
  runLateness: 'orrery.run.lateness',
  /** The HTTP call, in s. */
  runDuration: 'orrery.run.duration',
  /** The HTTP call ends → its ResponseRecorded is in the log, in s. */
  recordDuration: 'orrery.executor.record.duration',
  /** Runs whose ResponseRecorded the executor appended. */
  recordedRuns: 'orrery.executor.recorded.runs',
} as const;

/** Attribute keys of the executor's instruments. */
export const EXECUTOR_ATTRIBUTES = {
  /** The call's outcome was a success (2xx within the timeout and cap). */
  ok: 'orrery.run.ok',
  /** The run's attempt is not its first (it was dispatched again after a lapsed lease). */
  redispatched: 'orrery.run.redispatched',
} as const;

const A = EXECUTOR_ATTRIBUTES;

const runAttributes = (job: QueuePayload<'execute'>, outcome: CallOutcome): Attributes => ({
  [A.ok]: outcome.ok,
  [A.redispatched]: job.attempt > 1,
  ...(outcome.error ? { 'error.type': outcome.error.kind } : {}),
});

/** Records the executor's figures through one meter. */
export class ExecutorMetrics {
  readonly #stale: Counter;
  readonly #queueWait: Histogram;
  readonly #lateness: Histogram;
  readonly #duration: Histogram;
  readonly #record: Histogram;
  readonly #recorded: Counter;

  constructor(meter: Meter) {
    const durations = { unit: 's', advice: { explicitBucketBoundaries: [...DURATION_BUCKETS_S] } };
    const M = EXECUTOR_METRICS;
    this.#stale = meter.createCounter(M.staleSkips, {
      description: 'Execute jobs skipped because their lease lapsed in the queue',
      unit: '{job}',
    });
    this.#queueWait = meter.createHistogram(M.queueWait, {
      description: 'Time from a run’s dispatch to an executor taking its job',
      ...durations,
    });
    this.#lateness = meter.createHistogram(M.runLateness, {
      description: 'Time from a run’s slot to the start of its HTTP call',
      ...durations,
    });
    this.#duration = meter.createHistogram(M.runDuration, {
      description: 'Duration of a run’s HTTP call',
      ...durations,
    });
    this.#record = meter.createHistogram(M.recordDuration, {
      description: 'Time from the end of a run’s HTTP call to its ResponseRecorded in the log',
      ...durations,
    });
    this.#recorded = meter.createCounter(M.recordedRuns, {
      description: 'Runs whose ResponseRecorded the executor appended',
      unit: '{run}',
    });
  }

  staleSkip(): void {
    this.#stale.add(1);
  }

  takenUp(job: QueuePayload<'execute'>, now: number): void {
    this.#queueWait.record(seconds(now - Date.parse(job.dispatchedAt)));
  }

  called(job: QueuePayload<'execute'>, outcome: CallOutcome): void {
    const attributes = runAttributes(job, outcome);
    this.#lateness.record(seconds(outcome.startedAt - Date.parse(job.scheduledFor)), {
      [A.redispatched]: job.attempt > 1,
    });
    this.#duration.record(seconds(outcome.durationMs), attributes);
  }

  recorded(job: QueuePayload<'execute'>, outcome: CallOutcome, now: number): void {
    this.#record.record(seconds(now - outcome.finishedAt));
    this.#recorded.add(1, runAttributes(job, outcome));
  }
}
