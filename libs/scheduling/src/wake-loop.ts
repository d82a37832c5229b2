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

  constructor(private readonly options: WakeLoopOptions) {}

  /** Wakes the loop now (e.g. a local change made work due). */
  wake(): void {
    this.#sleeper.wake();
  }

  async start(): Promise<void> {
    if (this.#running) return;
    this.#running = true;
    const { listenTo, log, name } = this.options;
    if (listenTo) {
      this.#listener = await listen(
        listenTo.connectionString,
        listenTo.channel,
        () => this.wake(),
        (error) =>
          log.error({ err: error, loop: name }, 'notification connection lost; timer only'),
        `orrery-${name}`,
      );
    }
    this.#done = this.#run();
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
    this.#sleeper.wake();
    await this.#done;
    await this.#listener?.close();
  }
}
