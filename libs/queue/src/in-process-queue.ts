import type {
  ConsumeOptions,
  Consumer,
  QueueName,
  QueuePort,
  QueueMessage,
  QueueStats,
  ReceivedMessage,
} from '@orrery/domain';
import { parsePayload } from './payload.js';
import {
  DEFAULT_ATTEMPTS,
  asError,
  backoffDelayOf,
  assertJobId,
  concurrencyOf,
  positiveInteger,
  reporter,
  type CommonQueueOptions,
  type QueueErrorHandler,
} from './queue-options.js';

export interface InProcessQueueOptions extends CommonQueueOptions {
  /** The clock `stats` dates enqueued jobs by. Default `Date.now`. */
  readonly now?: () => number;
}

interface Entry {
  readonly id: string;
  /** The payload as JSON text, as it would travel through Redis. */
  readonly json: string;
  readonly attempt: number;
  /** When it was first enqueued (a retry keeps it, as BullMQ's job timestamp does). */
  readonly enqueuedAt: number;
}

interface Slot {
  readonly handler: (job: ReceivedMessage<QueueName>) => Promise<void>;
  readonly concurrency: number;
  readonly running: Set<Promise<void>>;
  open: boolean;
}

interface Lane {
  readonly waiting: Entry[];
  /** Ids waiting, being handled or awaiting a retry: enqueueing one of them is a no-op. */
  readonly ids: Set<string>;
  readonly retries: Map<string, ReturnType<typeof setTimeout>>;
  readonly slots: Slot[];
  /** Round-robin start, so several consumers of one queue share its jobs. */
  next: number;
}

/**
 * The queue port in memory, for embedded mode and unit tests, with the BullMQ
 * adapter's contract: per-queue FIFO, ids de-duplicated while waiting, active
 * or awaiting a retry, payloads serialised as JSON and parsed with the job
 * catalogue on dequeue (a bad payload is reported to `onError`, never
 * retried), concurrency per consumer, and a throwing handler retried with
 * exponential backoff up to `defaultAttempts` deliveries.
 *
 * Nothing survives the process: `close()` waits for handlers in flight and
 * drops what is still waiting or awaiting a retry (the event log re-dispatches
 * lost runs), leaving no timer behind.
 *
 * @example
 * const queue = new InProcessQueue({ onError: (error, context) => log.warn({ error, context }) });
 */
export class InProcessQueue implements QueuePort {
  readonly #attempts: number;
  readonly #backoffDelayMs: number;
  readonly #report: QueueErrorHandler;
  readonly #lanes = new Map<QueueName, Lane>();
  readonly #now: () => number;
  #closing: Promise<void> | undefined;

  constructor(options: InProcessQueueOptions = {}) {
    this.#attempts = positiveInteger(
      'defaultAttempts',
      options.defaultAttempts ?? DEFAULT_ATTEMPTS,
    );
    this.#backoffDelayMs = backoffDelayOf(options);
    this.#report = reporter(options.onError);
    this.#now = options.now ?? Date.now;
  }

  async enqueue<Q extends QueueName>(queue: Q, jobs: readonly QueueMessage<Q>[]): Promise<void> {
    this.#assertOpen();
    for (const job of jobs) assertJobId(job.id);
    const lane = this.#lane(queue);
    const enqueuedAt = this.#now();
    for (const job of jobs) {
      if (lane.ids.has(job.id)) continue;
      lane.ids.add(job.id);
      const json = JSON.stringify(job.data) ?? 'null';
      lane.waiting.push({ id: job.id, json, attempt: 1, enqueuedAt });
    }
    this.#pump(queue, lane);
  }

  consume<Q extends QueueName>(
    queue: Q,
    handler: (job: ReceivedMessage<Q>) => Promise<void>,
    options?: ConsumeOptions,
  ): Consumer {
    this.#assertOpen();
    const lane = this.#lane(queue);
    const slot: Slot = {
      // Sound: this lane only ever holds jobs parsed with queue Q's schema.
      handler: handler as unknown as Slot['handler'],
      concurrency: concurrencyOf(options),
      running: new Set(),
      open: true,
    };
    lane.slots.push(slot);
    this.#pump(queue, lane);
    return { close: () => this.#closeSlot(lane, slot) };
  }

  /** Jobs of `queue` waiting, being handled, or awaiting a retry. */
  size(queue: QueueName): number {
    return this.#lanes.get(queue)?.ids.size ?? 0;
  }

  stats(queue: QueueName): Promise<QueueStats> {
    const lane = this.#lanes.get(queue);
    if (!lane) return Promise.resolve({ waiting: 0, active: 0, delayed: 0, oldestWaitingAt: null });
    const waiting = lane.waiting.length;
    const delayed = lane.retries.size;
    return Promise.resolve({
      waiting,
      // Ids cover the waiting, the handled and those awaiting a retry.
      active: lane.ids.size - waiting - delayed,
      delayed,
      // FIFO, but a retry rejoins at the back with its first enqueue time.
      oldestWaitingAt: waiting === 0 ? null : Math.min(...lane.waiting.map((e) => e.enqueuedAt)),
    });
  }

  /** Whether job `id` is waiting, being handled or awaiting a retry (enqueueing it is a no-op). */
  has(queue: QueueName, id: string): boolean {
    return this.#lanes.get(queue)?.ids.has(id) ?? false;
  }

  close(): Promise<void> {
    this.#closing ??= this.#close();
    return this.#closing;
  }

  async #close(): Promise<void> {
    const lanes = [...this.#lanes.values()];
    await Promise.all(
      lanes.flatMap((lane) => lane.slots.map((slot) => this.#closeSlot(lane, slot))),
    );
    for (const lane of lanes) {
      for (const timer of lane.retries.values()) clearTimeout(timer);
      lane.retries.clear();
      lane.waiting.length = 0;
      lane.ids.clear();
    }
  }

  async #closeSlot(lane: Lane, slot: Slot): Promise<void> {
    slot.open = false;
    const index = lane.slots.indexOf(slot);
    if (index >= 0) lane.slots.splice(index, 1);
    await Promise.all(slot.running);
  }

  #assertOpen(): void {
    if (this.#closing) throw new Error('InProcessQueue is closed');
  }

  #lane(queue: QueueName): Lane {
    let lane = this.#lanes.get(queue);
    if (!lane) {
      lane = { waiting: [], ids: new Set(), retries: new Map(), slots: [], next: 0 };
      this.#lanes.set(queue, lane);
    }
    return lane;
  }

  /** Hands waiting jobs, oldest first, to consumers with a free slot. */
  #pump(queue: QueueName, lane: Lane): void {
    while (lane.waiting.length > 0) {
      const slot = this.#freeSlot(lane);
      if (!slot) return;
      const entry = lane.waiting.shift();
      if (!entry) return;
      const run: Promise<void> = this.#handle(queue, lane, slot, entry).finally(() => {
        slot.running.delete(run);
        this.#pump(queue, lane);
      });
      slot.running.add(run);
    }
  }

  #freeSlot(lane: Lane): Slot | undefined {
    const count = lane.slots.length;
    for (let i = 0; i < count; i++) {
      const slot = lane.slots[(lane.next + i) % count];
      if (slot && slot.open && slot.running.size < slot.concurrency) {
        lane.next = (lane.next + i + 1) % count;
        return slot;
      }
    }
    return undefined;
  }

  async #handle(queue: QueueName, lane: Lane, slot: Slot, entry: Entry): Promise<void> {
    // Let the caller of enqueue/consume return before any handler runs.
    await Promise.resolve();
    const { id, attempt } = entry;
    const parsed = parsePayload(queue, id, JSON.parse(entry.json));
    if (!parsed.ok) {
      lane.ids.delete(id);
      this.#report(parsed.error, { kind: 'payload', queue, jobId: id, attempt, willRetry: false });
      return;
    }
    try {
      await slot.handler({ id, data: parsed.data, attempt });
      lane.ids.delete(id);
    } catch (thrown) {
      const willRetry = attempt < this.#attempts && !this.#closing;
      if (willRetry) this.#retryLater(queue, lane, { ...entry, attempt: attempt + 1 });
      else lane.ids.delete(id);
      this.#report(asError(thrown), { kind: 'handler', queue, jobId: id, attempt, willRetry });
    }
  }

  #retryLater(queue: QueueName, lane: Lane, entry: Entry): void {
    const delay = this.#backoffDelayMs * 2 ** (entry.attempt - 2);
    const timer = setTimeout(() => {
      lane.retries.delete(entry.id);
      lane.waiting.push(entry);
      this.#pump(queue, lane);
    }, delay);
    lane.retries.set(entry.id, timer);
  }
}
