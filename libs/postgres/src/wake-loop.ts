import type { Logger } from 'pino';
import { backoffMs } from './backoff.js';
import { listen } from './listen.js';
import { Sleeper } from './sleeper.js';

/**
 * Tells a loop that there may be work: `open` starts listening and returns a function that
 * stops; `lost` is called once if the source dies by itself (the loop then opens it again).
 */
export interface WakeSource {
  open(wake: () => void, lost: (error: unknown) => void): Promise<() => Promise<void>>;
}

/** Wakes on `NOTIFY <channel>`, with a dedicated connection named `applicationName`. */
export const notifications = (
  connectionString: string,
  channel: string,
  applicationName: string,
): WakeSource => ({
  async open(wake, lost) {
    const listener = await listen(connectionString, channel, wake, lost, applicationName);
    return () => listener.close();
  },
});

export interface WakeLoopOptions {
  /** For logs (and `application_name` of its listening connection, by convention). */
  readonly name: string;
  readonly log: Logger;
  /** Wakes the loop early (null: timer only). */
  readonly wakeSource: WakeSource | null;
  /** One round of work; returns how long to sleep before the next (unless woken). */
  readonly tick: () => Promise<number>;
  /**
   * A failed round: `retry` (the default) runs it again after a growing pause (1 s, 2 s, 4 s, then every 5 s);
   * `stop` ends the loop. Either way the error is logged.
   */
  readonly onError?: (error: unknown) => 'retry' | 'stop';
}

/**
 * The one loop under every process that follows something (the log, due times, a lease): run
 * `tick`, then sleep until the time it asked for or a wake-up, whichever comes first. A wake-up
 * that arrives while a round runs is kept, so none is lost. A failing round is retried after a
 * growing pause, so a database restart delays work and never loses it. A lost wake source is
 * opened again after a growing pause; meanwhile the loop runs on its timer alone, and it runs a
 * round as soon as the source is back (it may have missed a wake-up).
 */
export class WakeLoop {
  readonly #sleeper = new Sleeper();
  #running = false;
  #done: Promise<void> | undefined;
  #close: (() => Promise<void>) | undefined;
  #reopen: NodeJS.Timeout | undefined;

  constructor(private readonly options: WakeLoopOptions) {}

  get running(): boolean {
    return this.#running;
  }

  /** Wakes the loop now (e.g. a local change made work due). */
  wake(): void {
    this.#sleeper.wake();
  }

  /** Starts the loop; resolves once the wake source listens (its first failure is thrown). */
  async start(): Promise<void> {
    if (this.#running) return;
    this.#running = true;
    if (this.options.wakeSource) await this.#open(this.options.wakeSource, 0);
    this.#done = this.#run();
  }

  async #open(source: WakeSource, attempt: number): Promise<void> {
    const close = await source.open(
      () => this.wake(),
      (error) => this.#reopenLater(source, error, 0),
    );
    if (!this.#running) return void (await close().catch(() => {})); // stopped meanwhile
    this.#close = close;
    if (attempt > 0) this.wake();
  }

  #reopenLater(source: WakeSource, error: unknown, attempt: number): void {
    if (!this.#running) return;
    this.#close = undefined;
    clearTimeout(this.#reopen); // one reopening at a time
    const delay = backoffMs(attempt);
    this.options.log.error(
      { err: error, loop: this.options.name, retryInMs: delay },
      'wake-ups lost; on the timer until they are back',
    );
    this.#reopen = setTimeout(() => {
      if (!this.#running) return;
      this.#open(source, attempt + 1).catch((failure: unknown) =>
        this.#reopenLater(source, failure, attempt + 1),
      );
    }, delay);
  }

  async #run(): Promise<void> {
    let failures = 0;
    while (this.#running) {
      let delay: number;
      try {
        delay = await this.options.tick();
        failures = 0;
      } catch (error) {
        const next = this.options.onError?.(error) ?? 'retry';
        delay = backoffMs(failures++);
        this.options.log.error(
          {
            err: error,
            loop: this.options.name,
            ...(next === 'retry' ? { retryInMs: delay } : {}),
          },
          next === 'retry' ? 'loop round failed; trying again' : 'loop round failed; stopping',
        );
        if (next === 'stop') {
          this.#running = false;
          break;
        }
      }
      if (this.#running) await this.#sleeper.sleep(delay);
    }
    clearTimeout(this.#reopen);
    await this.#close?.().catch(() => {});
    this.#close = undefined;
  }

  /** Stops after the round in progress and releases the wake source. Idempotent. */
  async stop(): Promise<void> {
    this.#running = false;
    clearTimeout(this.#reopen);
    this.#sleeper.wake();
    await this.#done;
    await this.#close?.().catch(() => {});
    this.#close = undefined;
  }
}
