export * from './document.js';
export * from './events.js';
export * from './diff.js';
export * from './live.js';
export * from './pipeline.js';
export type { PipelinePlanInput } from './plan-output.js';
export { planPipeline, type PipelinePlan } from './plan.js';
