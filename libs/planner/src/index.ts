export { PlannerProcessor, shardOf, type PlannerProcessorOptions } from './planner-processor.js';
export { SessionRunner, type AnalysisBudget, type SessionTrigger } from './session-runner.js';
export { commitSession, type CommittedSession, type SessionToCommit } from './commit-session.js';
export { ContextReader } from './context-reader.js';
export { PLANNER_ATTRIBUTES, PLANNER_METRICS } from './planner-metrics.js';
export {
  startPlanner,
  DEFAULT_ANALYSIS_BUDGET,
  type PlannerService,
  type PlannerServiceOptions,
} from './start-planner.js';
export { plannerEnv, plannerOptionsFromEnv, type PlannerEnv } from './config.js';
export * from './claude/index.js';
