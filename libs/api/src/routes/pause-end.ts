import { checkPauseEnd, fromIso, type Millis } from '@orrery/domain';
import { ProblemError } from '../problem.js';

/** A pause body's `until` as an instant, refused (naming `body.until`) unless the decider would take it. */
export function pauseEnd(until: string | null, now: Millis): Millis | null {
  const end = until === null ? null : fromIso(until);
  const refused = checkPauseEnd(end, now);
  if (refused && !refused.ok) {
    const { message } = refused.error;
    throw new ProblemError('validation', `body.until: ${message}`, [
      { field: 'body.until', message },
    ]);
  }
  return end;
}
