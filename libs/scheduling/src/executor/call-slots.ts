/**
 * A counting semaphore for the executor's calls: at most `size` at once, granted in the order
 * they were asked for. `acquire` resolves with the function that gives the slot back.
 */
export class CallSlots {
  readonly #waiting: (() => void)[] = [];
  #free: number;

  constructor(size: number) {
    if (!Number.isInteger(size) || size < 1) throw new Error(`concurrency must be ≥ 1: ${size}`);
    this.#free = size;
  }

  async acquire(): Promise<() => void> {
    if (this.#free > 0) this.#free--;
    else await new Promise<void>((resolve) => this.#waiting.push(resolve));
    let released = false;
    return () => {
      if (released) return;
      released = true;
      const next = this.#waiting.shift();
      if (next)
        next(); // the slot passes straight to the next in line
      else this.#free++;
    };
  }
}
