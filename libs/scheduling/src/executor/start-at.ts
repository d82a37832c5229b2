import type { QueuePayload } from '@orrery/domain';

/** The clock a run's start is waited on: the time (ms since the epoch) and a timer. */
export interface StartClock {
  readonly now: () => number;
  readonly sleep: (ms: number) => Promise<void>;
}

/**
 * The earliest instant a run's call may start, by the executor's clock: its slot
 * (`scheduledFor`), or its `startAt` when it was dispatched ahead (the due time, never earlier
 * than the slot; the later of the two is taken all the same).
 */
export function startOf(job: Pick<QueuePayload<'execute'>, 'scheduledFor' | 'startAt'>): number {
  const slot = Date.parse(job.scheduledFor);
  return job.startAt === undefined ? slot : Math.max(slot, Date.parse(job.startAt));
}

/**
 * Resolves once `clock.now() >= at`, never before; returns the ms it waited (0: it was time).
 *
 * Why it reads the clock again after each timer: a timer is not a promise about the wall clock.
 * Node's timers run on a monotonic clock from the event loop's cached time, so one can fire a
 * little before `ms` of `Date.now()` have passed (a loop time read before a slow turn, an NTP
 * slew of the wall clock); it then sleeps again for what is left. The call start is stamped by
 * the same clock, so a call never starts before its slot by that clock.
 */
export async function waitUntil(at: number, clock: StartClock): Promise<number> {
  const from = clock.now();
  let now = from;
  while (now < at) {
    await clock.sleep(Math.ceil(at - now));
    now = clock.now();
  }
  return now - from;
}
