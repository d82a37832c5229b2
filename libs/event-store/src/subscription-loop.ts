import type { RecordedEvent, SubscribeOptions, Subscription } from '@orrery/domain';

/**
 * Tells a subscription that new events may exist. `open` starts listening and
 * returns a function that stops listening; `fail` stops the subscription with
 * an error (e.g. the listening connection died).
 */
export interface WakeSource {
  open(wake: () => void, fail: (error: unknown) => void): Promise<() => Promise<void>>;
}

export interface SubscriptionDeps {
  readonly readAll: (after: number, limit: number) => Promise<readonly RecordedEvent[]>;
  readonly wakeSource: WakeSource;
  /** Re-read at least this often even without a wake-up (a missed wake-up only delays). */
  readonly pollIntervalMs?: number;
  /** Called once the loop has ended (stopped or failed) and released its wake source. */
  readonly onEnded?: () => void;
}

const DEFAULT_BATCH_SIZE = 100;

/**
 * Follows the log: read a batch after the checkpoint, await the handler,
 * advance, repeat; when caught up, sleep until woken (or the poll interval).
 * A wake-up that arrives while reading is remembered, so it is never lost.
 */
export class SubscriptionLoop implements Subscription {
  #position: number;
  #stopped = false;
  #woken = false;
  #failure: { error: unknown } | undefined;
  #interrupt: (() => void) | undefined;
  readonly #done: Promise<void>;

  constructor(
    private readonly options: SubscribeOptions,
    private readonly deps: SubscriptionDeps,
  ) {
    if (options.batchSize !== undefined && !(options.batchSize >= 1)) {
      throw new RangeError(`batchSize must be at least 1, got ${options.batchSize}`);
    }
    this.#position = options.after;
    this.#done = this.#run();
  }

  get position(): number {
    return this.#position;
  }

  /**
   * Ends the loop after the handler call in progress (if any) and releases the
   * listening connection. Do not await it inside `onEvents` (it waits for that
   * call). Rejects with the failure when the subscription failed and no
   * `onError` was given.
   */
  async stop(): Promise<void> {
    this.#stopped = true;
    this.#interrupt?.();
    await this.#done;
    if (this.#failure && !this.options.onError) throw this.#failure.error;
  }

  async #run(): Promise<void> {
    const batchSize = this.options.batchSize ?? DEFAULT_BATCH_SIZE;
    let close: (() => Promise<void>) | undefined;
    try {
      close = await this.deps.wakeSource.open(
        () => this.#wake(),
        (error) => this.#fail(error),
      );
      while (!this.#stopped) {
        this.#woken = false;
        const batch = await this.deps.readAll(this.#position, batchSize);
        if (this.#stopped) break;
        const last = batch.at(-1);
        if (last) {
          await this.options.onEvents(batch);
          this.#position = last.position;
        } else if (!this.#woken) {
          await this.#sleep();
        }
      }
    } catch (error) {
      this.#fail(error);
    } finally {
      await close?.().catch(() => {});
      this.deps.onEnded?.();
    }
  }

  #wake(): void {
    this.#woken = true;
    this.#interrupt?.();
  }

  #fail(error: unknown): void {
    if (this.#failure || this.#stopped) return;
    this.#failure = { error };
    this.#stopped = true;
    this.#interrupt?.();
    this.options.onError?.(error);
  }

  async #sleep(): Promise<void> {
    let timer: NodeJS.Timeout | undefined;
    await new Promise<void>((resolve) => {
      this.#interrupt = resolve;
      if (this.deps.pollIntervalMs !== undefined) {
        timer = setTimeout(resolve, this.deps.pollIntervalMs);
      }
    });
    clearTimeout(timer);
    this.#interrupt = undefined;
  }
}
