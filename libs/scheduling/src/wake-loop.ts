import { listen, type Listener } from '@orrery/postgres';
import type { Logger } from 'pino';
import { Sleeper } from './sleeper.js';

export interface WakeLoopOptions {
  readonly name: string;
  readonly log: Logger;
  /** LISTEN on this channel wakes the loop early (null: timer only). */
  readonly listenTo: { readonly connectionString: string; readonly channel: string } | null;
  /** One round of work; returns how long to sleep before the next (unless woken). */
  readonly tick: () => Promise<number>;
  /** After a failed tick, wait this long before trying again. Default 1000 ms. */
  readonly retryDelayMs?: number;
}

/**
 * Runs `tick` again and again, sleeping between rounds until the time the
 * tick asked for or a notification, whichever comes first. A failing tick is
 * logged and retried after a delay: a database restart delays work, never loses it.
 */
export class WakeLoop {
  readonly #sleeper = new Sleeper();
  #running = false;
  #done: Promise<void> | undefined;
  #listener: Listener | undefined;
  #relisten: NodeJS.Timeout | undefined;

  constructor(private readonly options: WakeLoopOptions) {}

  /** Wakes the loop now (e.g. a local change made work due). */
  wake(): void {
    this.#sleeper.wake();
  }

  async start(): Promise<void> {
    if (this.#running) return;
    this.#running = true;
    if (this.options.listenTo) await this.#listen(this.options.listenTo);
    this.#done = this.#run();
  }

  /**
   * LISTENs for wake-ups. A lost connection is re-opened after a growing
   * pause (1 s to 30 s); meanwhile the loop runs on its timer alone, and it
   * runs a round at once when the connection is back (it may have missed one).
   */
  async #listen(to: { connectionString: string; channel: string }): Promise<void> {
    this.#listener = await listen(
      to.connectionString,
      to.channel,
      () => this.wake(),
      (error) => this.#relistenLater(to, error, 0),
      `orrery-${this.options.name}`,
    );
  }

  #relistenLater(
    to: { connectionString: string; channel: string },
    error: unknown,
    attempt: number,
  ) {
    if (!this.#running) return;
    const delay = Math.min(1000 * 2 ** attempt, 30_000);
    this.options.log.error(
      { err: error, loop: this.options.name, retryInMs: delay },
      'notifications lost; on the timer until they are back',
    );
    this.#relisten = setTimeout(() => {
      this.#listen(to).then(
        () => this.wake(),
        (failure: unknown) => this.#relistenLater(to, failure, attempt + 1),
      );
    }, delay);
  }

  async #run(): Promise<void> {
    while (this.#running) {
      let delay: number;
      try {
        delay = await this.options.tick();
      } catch (error) {
        this.options.log.error({ err: error, loop: this.options.name }, 'loop round failed');
        delay = this.options.retryDelayMs ?? 1000;
      }
      if (this.#running) await this.#sleeper.sleep(delay);
    }
  }

  /** Stops after the round in progress. */
  async stop(): Promise<void> {
    this.#running = false;
    clearTimeout(this.#relisten);
    this.#sleeper.wake();
    await this.#done;
    await this.#listener?.close();
  }
}
