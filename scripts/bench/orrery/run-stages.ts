/**
 * Per-run timeline from the executor's `onRecorded`:
 * slot → tick start → enqueued → call start → call end → recorded.
 */
import type { QueuePayload } from '@orrery/domain';
import type { PipelineStats } from './pipeline-stats.js';

/** Per-run stage names, in pipeline order. */
export const STAGES = {
  tickLag: 'slot → dispatcher tick start (runs.lateness_ms)',
  dispatchWork: 'tick start → job enqueued (claim, append, enqueue)',
  queueWait: 'enqueued → executor picks it up',
  call: 'HTTP call',
  record: 'call end → ResponseRecorded appended',
  enqueueLateness: 'slot → job enqueued',
  startLateness: 'slot → HTTP call starts',
  endToEnd: 'slot → ResponseRecorded appended',
} as const;

export function onRecorded(stats: PipelineStats) {
  return (
    job: QueuePayload<'execute'>,
    outcome: { startedAt: number; finishedAt: number; durationMs: number; ok: boolean },
    _startLagMs: number,
  ): void => {
    const recordedAt = Date.now();
    stats.recorded += 1;
    if (!outcome.ok) stats.failedCalls += 1;
    if (job.attempt > 1) stats.redispatched += 1;
    const jobId = job.attempt === 1 ? job.runId : `${job.runId}-a${job.attempt}`;
    const enqueuedAt = stats.enqueuedAt.get(jobId);
    stats.enqueuedAt.delete(jobId);
    const slot = Date.parse(job.scheduledFor);
    const tick = Date.parse(job.dispatchedAt);
    if (stats.recentLateness.length < 100_000) stats.recentLateness.push(outcome.startedAt - slot);
    if (!stats.inWindow(slot, recordedAt)) return;
    const add = (stage: string, value: number) => stats.stages.get(stage).add(value);
    add(STAGES.tickLag, tick - slot);
    if (enqueuedAt !== undefined) {
      add(STAGES.dispatchWork, enqueuedAt - tick);
      add(STAGES.queueWait, outcome.startedAt - enqueuedAt);
      add(STAGES.enqueueLateness, enqueuedAt - slot);
    }
    add(STAGES.call, outcome.durationMs);
    add(STAGES.record, recordedAt - outcome.finishedAt);
    add(STAGES.startLateness, outcome.startedAt - slot);
    add(STAGES.endToEnd, recordedAt - slot);
  };
}
