export { createSchedulingDb, SCHEDULE_CHANNEL, type SchedulingDb } from './db.js';
export { schedulingMigrations } from './migrations/index.js';
export type { SchedulingSchema, ScheduleRow, RunRow, RunStatus } from './read-model/schema.js';
export { scheduleOf, runIdFor, type ScheduleView } from './projection/schedule-of.js';
export { foldBatch, type FoldedBatch } from './projection/fold-batch.js';
export {
  SchedulingProjection,
  type SchedulingProjectionOptions,
} from './projection/scheduling-projection.js';
export { HintExpirer, expiredHints, type HintExpirerOptions } from './projection/hint-expirer.js';
export { Dispatcher, type DispatcherOptions, type DispatchStats } from './dispatcher/dispatcher.js';
export { planDispatch, type DispatchPlan } from './dispatcher/plan-dispatch.js';
export { claimDue } from './dispatcher/claim.js';
export { Executor, type ExecutorOptions } from './executor/executor.js';
export { AppendBatcher } from './executor/append-batcher.js';
export { WakeLoop } from './wake-loop.js';
export { Sleeper } from './sleeper.js';
export { executeEndpointCommand, type CommandOutcome } from './commands/execute-command.js';
export { startRuntime, type Runtime, type RuntimeOptions, type Role } from './runtime.js';
export { startRoleService, type DistributedConfig } from './service-runtime.js';
