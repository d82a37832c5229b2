import type { RecordedEvent } from '../events/event.js';
import { fromIso, type Millis } from '../time.js';

/**
 * Every recorded position is this many simulated ones apart: positions stay integers (events
 * hold them as such) and a simulated event fits between two recorded ones.
 */
export const POSITION_SCALE = 1 << 20;

/**
 * Log positions in the simulation. The arbiter judges staleness by position (a proposal based on
 * position P is stale once the target has a response after P), so a simulated response needs one
 * that says where it would have landed in the log: just after the last recorded event (of those
 * read) recorded before its time. Positions are scaled by {@link POSITION_SCALE}: a recorded
 * position P is `P × scale`, a simulated event after it `P × scale + k`, strictly increasing.
 */
export class PositionClock {
  readonly #times: Millis[];
  /** The highest position among the events recorded at or before `#times[i]`. */
  readonly #positions: number[];
  #last = 0;

  /** `events`: what was read of the log (any event, or just a position and when it was recorded). */
  constructor(events: Iterable<Pick<RecordedEvent, 'position' | 'recordedAt'>>) {
    const pairs = [...events]
      .map((e) => [fromIso(e.recordedAt), e.position] as const)
      .sort((a, b) => a[0] - b[0] || a[1] - b[1]);
    this.#times = pairs.map(([at]) => at);
    let high = 0;
    this.#positions = pairs.map(([, position]) => (high = Math.max(high, position)));
  }

  /** The position of an event the simulation makes at `at` (non-decreasing `at` expected). */
  next(at: Millis): number {
    let lo = 0;
    let hi = this.#times.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if ((this.#times[mid] ?? Infinity) < at) lo = mid + 1;
      else hi = mid;
    }
    const base = (this.#positions[lo - 1] ?? 0) * POSITION_SCALE + 1;
    this.#last = Math.max(base, this.#last + 1);
    return this.#last;
  }

  /** A recorded position on the simulation's scale. */
  recorded(position: number): number {
    return position * POSITION_SCALE;
  }
}
