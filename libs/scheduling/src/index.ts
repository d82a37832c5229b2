export { createSchedulingDb, SCHEDULE_CHANNEL, type SchedulingDb } from './db.js';
export { endpointSnapshot, jobSnapshot } from './read-model/snapshots.js';
export { schedulingMigrations } from './migrations/index.js';
export type {
  SchedulingSchema,
  ScheduleRow,
  RunRow,
  RunStatus,
  ConflictRow,
  PlannerSessionRow,
} from './read-model/schema.js';
export { foldBatch, type FoldedBatch } from './projection/fold-batch.js';
export type { Conflict, HintMet, StateMet } from './projection/fold-conflicts.js';
export {
  SchedulingProjection,
  type SchedulingProjectionOptions,
} from './projection/scheduling-projection.js';
export { HintExpiryProcessor } from './processing/hint-expiry.js';
export {
  ProcessorHost,
  runToHead,
  type ProcessorHostOptions,
} from './processing/processor-host.js';
export type { Processor, ProcessorContext } from './processing/processor.js';
export { LeaseLostError, ProcessorLease } from './processing/lease.js';
export { ParkedStreams, type ParkedStream } from './processing/parked.js';
export { processorStatus, type ProcessorStatus } from './processing/status.js';
export { Dispatcher, type DispatcherOptions } from './dispatcher/dispatcher.js';
export {
  DISPATCHER_METRICS,
  DISPATCH_OUTCOME,
  type DispatchOutcome,
} from './dispatcher/dispatcher-metrics.js';
export {
  dispatchClaimed,
  type DispatchRound,
  type DispatchSettings,
} from './dispatcher/dispatch-claimed.js';
export { executeMessage } from './dispatcher/execute-message.js';
export { claimDue } from './dispatcher/claim.js';
export { Executor, type ExecutorOptions } from './executor/executor.js';
export { runLogSummaries, type RunLine } from './executor/run-line.js';
export { EXECUTOR_ATTRIBUTES, EXECUTOR_METRICS } from './executor/executor-metrics.js';
export { QUEUE_ATTRIBUTES, QUEUE_METRICS } from './executor/queue-metrics.js';
export { PROJECTION_ATTRIBUTES, PROJECTION_METRICS } from './projection/projection-metrics.js';
export { CASCADE_ATTRIBUTES, CASCADE_METRICS } from './processing/cascade-metrics.js';
export { AppendBatcher } from './executor/append-batcher.js';
export { startRuntime, type Runtime, type RuntimeOptions, type Role } from './runtime.js';
export * from './replay/index.js';
export { startRoleService, type DistributedConfig } from './service-runtime.js';
