import type { DomainEvent } from '../events/event.js';
import { fromIso } from '../time.js';
import { rememberChange, rememberGrant, type SteeringState } from './steering.js';

/**
 * Folds what the arbiter remembers. Positions come from events read back from the log (an
 * event just decided has none yet, and leaves them as they were).
 */
export function evolveSteering(steering: SteeringState, event: DomainEvent): SteeringState {
  const position =
    'position' in event && typeof event.position === 'number' ? event.position : null;
  switch (event.type) {
    case 'ResponseRecorded':
      if (event.data.test || position === null) return steering;
      // Written out, not spread: every response of a log comes through here.
      return {
        lastResponsePosition: position,
        pausePosition: steering.pausePosition,
        lastIntervalMs: steering.lastIntervalMs,
        direction: steering.direction,
        changes: steering.changes,
        cooldownUntil: steering.cooldownUntil,
        extraRuns: steering.extraRuns,
      };
    case 'Paused':
    case 'Resumed':
      return position === null ? steering : { ...steering, pausePosition: position };
    case 'HintProposed': {
      const at = event.data.proposedAt === undefined ? null : fromIso(event.data.proposedAt);
      let next = steering;
      if (event.data.slot === 'interval' && event.data.steering) {
        const { direction, change } = event.data.steering;
        next = {
          ...next,
          lastIntervalMs: event.data.intervalMs,
          direction,
          changes: change && at !== null ? rememberChange(next.changes, at) : next.changes,
        };
      }
      const runs = event.data.extraRuns ?? 0;
      if (runs > 0 && at !== null)
        next = { ...next, extraRuns: rememberGrant(next.extraRuns, { at, runs }) };
      return next;
    }
    case 'HintRejected':
      return event.data.cooldownUntil === undefined
        ? steering
        : { ...steering, cooldownUntil: fromIso(event.data.cooldownUntil) };
    default:
      return steering;
  }
}
