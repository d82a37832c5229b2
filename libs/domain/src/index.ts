export * from './errors.js';
export * from './time.js';
export * from './limits.js';
export * from './events/metadata.js';
export * from './events/catalogue.js';
export * from './events/event.js';
export * from './endpoint/config.js';
export * from './endpoint/state.js';
export * from './ports/event-store.js';
export * from './endpoint/commands.js';
export * from './endpoint/evolve.js';
export {
  decide,
  checkPauseEnd,
  type DecideContext,
  type Decision as CommandDecision,
} from './endpoint/decide.js';
export { isPaused } from './endpoint/decide-hints.js';
export * from './jobs.js';
export * from './ports/queue.js';
export * from './governor/index.js';
export * from './streams.js';
export * from './tenant/tenant.js';
export * from './job/job.js';
