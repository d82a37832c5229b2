import { z } from 'zod';
import type { EventData } from '../events/catalogue.js';

/**
 * What became of a run, in one word. Derived from the run's ResponseRecorded alone (a pure
 * function of the log, so a rebuild gives the same outcomes); the first that applies wins:
 *
 * 1. `pending`: dispatched, no response recorded yet (a lapsed lease re-dispatches it).
 * 2. `timeout`, `network`, `refused`, `internal`: the call failed before a complete answer; the
 *    value is the error's kind. A status that arrived before the failure is kept all the same.
 *    `template`: a cascade's request could not be rendered, so no call was made.
 * 3. `http_error`: the target answered with a status outside 200–299 (3xx included: redirects
 *    are not followed), whether or not its body was cut at the cap.
 * 4. `truncated`: a 2xx answer whose body exceeded the response cap; the first
 *    `responseCapBytes` were kept (the call's error kind is `too_large`).
 * 5. `succeeded`: a complete 2xx answer.
 */
export const RunOutcome = z.enum([
  'pending',
  'succeeded',
  'http_error',
  'truncated',
  'timeout',
  'network',
  'refused',
  'internal',
  'template',
]);
export type RunOutcome = z.infer<typeof RunOutcome>;

/** The parts of a recorded response an outcome depends on. */
export type OutcomeInput = Pick<
  EventData<'ResponseRecorded'>,
  'status' | 'bodyTruncated' | 'error'
>;

/** The outcome of a run from its recorded response, or `pending` without one (see {@link RunOutcome}). */
export function runOutcome(response: OutcomeInput | null): RunOutcome {
  if (response === null) return 'pending';
  const kind = response.error?.kind;
  if (kind !== undefined && kind !== 'too_large') return kind;
  const { status } = response;
  if (status === null || status < 200 || status > 299) return 'http_error';
  if (response.bodyTruncated || kind === 'too_large') return 'truncated';
  return 'succeeded';
}
