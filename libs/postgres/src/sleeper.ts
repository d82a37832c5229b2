/**
 * Sleeps until a deadline or until woken, whichever is first. A wake-up that
 * arrives while the owner is busy (not sleeping) is remembered, so the next
 * sleep returns at once and no wake-up is lost.
 */
export class Sleeper {
  #pending = false;
  #resolve: (() => void) | undefined;
  #timer: NodeJS.Timeout | undefined;

  wake(): void {
    if (this.#resolve) this.#finish();
    else this.#pending = true;
  }

  /** Resolves after `ms` (clamped to [0, 2^31)) or at the next wake(). */
  sleep(ms: number): Promise<void> {
    if (this.#pending) {
      this.#pending = false;
      return Promise.resolve();
    }
    return new Promise((resolve) => {
      this.#resolve = resolve;
      this.#timer = setTimeout(() => this.#finish(), Math.min(Math.max(ms, 0), 2 ** 31 - 1));
    });
  }

  #finish(): void {
    clearTimeout(this.#timer);
    const resolve = this.#resolve;
    this.#resolve = undefined;
    this.#timer = undefined;
    resolve?.();
  }
}
