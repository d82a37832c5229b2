import { ProblemError } from '../problem.js';

/** A refusal that says when to come back (the `Retry-After` of the answer, in seconds). */
export class RetryLater extends ProblemError {
  constructor(
    detail: string,
    readonly retryAfterSeconds: number,
  ) {
    super('rate_limited', detail);
  }
}

export interface AuthFailureBudgetOptions {
  /** Failed authentications allowed per client address per minute. Default 60. */
  readonly perMinute?: number;
  /** The clock (epoch ms). Default `Date.now`. */
  readonly now?: () => number;
  /**
   * Addresses remembered at once. Under a flood from more addresses than this,
   * the oldest windows are forgotten first. Default 100 000 (a few MB).
   */
  readonly maxAddresses?: number;
}

const WINDOW_MS = 60_000;

interface Window {
  failures: number;
  readonly endsAt: number;
}

interface InFlight {
  checks: number;
  readonly waiters: (() => void)[];
}

/**
 * What the authenticators throw when they refuse a request: `unauthorized` for a missing,
 * malformed, unknown or revoked key, `forbidden` for a key of a disabled tenant (or admin
 * routes that are off). A refused client retrying in a loop spends the budget either way.
 */
const isAuthFailure = (error: unknown): boolean =>
  error instanceof ProblemError && (error.code === 'unauthorized' || error.code === 'forbidden');

/**
 * Counts failed authentications per client address in fixed one-minute
 * windows. Once an address has spent its budget, {@link guard} refuses it
 * with {@link RetryLater} before any key is looked at, so guessing keys costs
 * the server nothing but that refusal.
 *
 * Exact under concurrency: a check in flight may still fail, so an address
 * never has more checks in flight than failures left in its window; further
 * requests wait for one of them to finish instead of racing past the limit.
 * Successful checks cost nothing but that brief wait.
 */
export class AuthFailureBudget {
  readonly perMinute: number;
  readonly #now: () => number;
  readonly #maxAddresses: number;
  /** Ordered by window end: a window is (re)inserted when it starts, and all last a minute. */
  readonly #windows = new Map<string, Window>();
  readonly #inFlight = new Map<string, InFlight>();

  constructor(options: AuthFailureBudgetOptions = {}) {
    this.perMinute = options.perMinute ?? 60;
    this.#now = options.now ?? Date.now;
    this.#maxAddresses = options.maxAddresses ?? 100_000;
    if (!(this.perMinute >= 1)) throw new RangeError('perMinute must be at least 1');
  }

  /**
   * Runs `check` (an authentication) for a request from `address`, unless the
   * address has no failures left this minute. A check that throws an
   * `unauthorized` or `forbidden` problem counts as a failure; any other outcome does not.
   *
   * @throws {RetryLater} when the address has spent its budget.
   */
  async guard<T>(address: string, check: () => T | Promise<T>): Promise<T> {
    for (;;) {
      const left = this.perMinute - this.#failures(address);
      const flight = this.#flight(address);
      if (left <= 0) {
        this.#settle(address, flight);
        throw this.#refusal(address);
      }
      if (flight.checks < left) {
        flight.checks += 1;
        break;
      }
      await new Promise<void>((resolve) => flight.waiters.push(resolve));
    }
    try {
      return await check();
    } catch (error) {
      if (isAuthFailure(error)) this.#recordFailure(address);
      throw error;
    } finally {
      const flight = this.#flight(address);
      flight.checks -= 1;
      // Wake as many waiters as there are free slots (a window that ended frees many), or
      // all of them once the budget is spent: they are refused at once.
      const failures = this.#failures(address);
      const wake =
        failures >= this.perMinute
          ? flight.waiters.length
          : Math.max(0, this.perMinute - failures - flight.checks);
      for (const resolve of flight.waiters.splice(0, wake)) resolve();
      this.#settle(address, flight);
    }
  }

  #failures(address: string): number {
    this.#forgetEnded();
    return this.#windows.get(address)?.failures ?? 0;
  }

  #recordFailure(address: string): void {
    const window = this.#windows.get(address);
    if (window && window.endsAt > this.#now()) {
      window.failures += 1;
      return;
    }
    this.#windows.delete(address);
    this.#windows.set(address, { failures: 1, endsAt: this.#now() + WINDOW_MS });
    // A flood from many addresses forgets the oldest windows rather than growing without bound.
    for (const oldest of this.#windows.keys()) {
      if (this.#windows.size <= this.#maxAddresses) break;
      this.#windows.delete(oldest);
    }
  }

  /** Windows end in insertion order, so the ended ones are at the front. */
  #forgetEnded(): void {
    const now = this.#now();
    for (const [address, window] of this.#windows) {
      if (window.endsAt > now) break;
      this.#windows.delete(address);
    }
  }

  #refusal(address: string): RetryLater {
    const endsAt = this.#windows.get(address)?.endsAt ?? this.#now();
    const seconds = Math.max(1, Math.ceil((endsAt - this.#now()) / 1000));
    return new RetryLater(
      `too many failed authentications from this address: at most ${this.perMinute} per minute; ` +
        `retry after ${seconds} s`,
      seconds,
    );
  }

  #flight(address: string): InFlight {
    let flight = this.#inFlight.get(address);
    if (!flight) {
      flight = { checks: 0, waiters: [] };
      this.#inFlight.set(address, flight);
    }
    return flight;
  }

  #settle(address: string, flight: InFlight): void {
    if (flight.checks === 0 && flight.waiters.length === 0) this.#inFlight.delete(address);
  }
}
