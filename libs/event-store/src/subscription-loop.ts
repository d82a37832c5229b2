import type { RecordedEvent, SubscribeOptions, Subscription } from '@orrery/domain';
import { WakeLoop, type WakeSource } from '@orrery/postgres';
import pino from 'pino';

export interface SubscriptionDeps {
  readonly readAll: (after: number, limit: number) => Promise<readonly RecordedEvent[]>;
  readonly wakeSource: WakeSource;
  /** Re-read at least this often even without a wake-up (a missed wake-up only delays). */
  readonly pollIntervalMs?: number;
  /** Called once the subscription has ended (stopped or failed). */
  readonly onEnded?: () => void;
}

const DEFAULT_BATCH_SIZE = 100;
const quiet = pino({ level: 'silent' });

/**
 * Follows the log on the shared {@link WakeLoop}: read a batch after the position, await the
 * handler, advance, repeat; when caught up, sleep until woken (or the poll interval). A failed
 * read or handler stops the subscription and is reported to `onError`, the position left
 * before the failed batch; a lost wake-up connection is only a delay (the loop polls meanwhile).
 */
export class SubscriptionLoop implements Subscription {
  #position: number;
  #failure: { error: unknown } | undefined;
  readonly #loop: WakeLoop;
  readonly #started: Promise<void>;

  constructor(
    private readonly options: SubscribeOptions,
    private readonly deps: SubscriptionDeps,
  ) {
    if (options.batchSize !== undefined && !(options.batchSize >= 1)) {
      throw new RangeError(`batchSize must be at least 1, got ${options.batchSize}`);
    }
    this.#position = options.after;
    const batchSize = options.batchSize ?? DEFAULT_BATCH_SIZE;
    const poll = deps.pollIntervalMs ?? 2 ** 31 - 1;
    this.#loop = new WakeLoop({
      name: 'subscription',
      log: quiet,
      wakeSource: deps.wakeSource,
      tick: async () => {
        const batch = await deps.readAll(this.#position, batchSize);
        const last = batch.at(-1);
        if (!last) return poll;
        await options.onEvents(batch);
        this.#position = last.position;
        return 0;
      },
      onError: (error) => {
        this.#failure ??= { error };
        options.onError?.(error);
        return 'stop';
      },
    });
    this.#started = this.#loop.start().catch((error: unknown) => {
      this.#failure ??= { error };
      options.onError?.(error);
    });
  }

  get position(): number {
    return this.#position;
  }

  /**
   * Ends the loop after the handler call in progress (if any) and releases the listening
   * connection. Do not await it inside `onEvents` (it waits for that call). Rejects with the
   * failure when the subscription failed and no `onError` was given.
   */
  async stop(): Promise<void> {
    await this.#started;
    await this.#loop.stop();
    this.deps.onEnded?.();
    if (this.#failure && !this.options.onError) throw this.#failure.error;
  }
}
