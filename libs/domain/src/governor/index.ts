export { nextRun } from './governor.js';
export type {
  Anchor,
  BackoffInput,
  CascadeDecisionInput,
  ClampInput,
  ScheduleDecision,
  DecisionInputs,
  DecisionReason,
  IgnoredHint,
  InFlightInput,
  IntervalHintInput,
  JitterInput,
  NeverReason,
  OneShotHintInput,
  ScheduledReason,
} from './decision.js';
export { jitterOffset } from './jitter.js';
export {
  NO_HOLDS,
  holdsOf,
  jobPauseAt,
  type Holds,
  type JobHold,
  type TenantHold,
} from './holds.js';
