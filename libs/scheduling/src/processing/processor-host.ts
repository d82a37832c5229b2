import {
  parseEndpointStream,
  parseJobStream,
  tenantIdOf,
  type EventStore,
  type Millis,
  type RecordedEvent,
  type TypesPage,
} from '@orrery/domain';
import { EVENTS_CHANNEL, UnreadableEventError } from '@orrery/event-store';
import { notifications, WakeLoop, type WakeSource } from '@orrery/postgres';
import {
  endSpan,
  noopInstrumentation,
  ProcessorMetrics,
  type Instrumentation,
} from '@orrery/telemetry';
import type { SpanContext, Tracer } from '@opentelemetry/api';
import type { Logger } from 'pino';
import type { SchedulingDb } from '../db.js';
import { LeaseLostError, ProcessorLease, type HeldLease } from './lease.js';
import { ParkedStreams, type ParkedStream } from './parked.js';
import type { Processor, ProcessorContext } from './processor.js';
import { isTransient } from './transient.js';

export interface ProcessorHostOptions {
  readonly processor: Processor;
  readonly store: EventStore;
  readonly db: SchedulingDb;
  readonly log: Logger;
  /** Wakes the host on `NOTIFY orrery_events` (null: poll only, for tests and tools). */
  readonly connectionString: string | null;
  readonly now?: () => Millis;
  /** Events read per round. Default 500. */
  readonly batchSize?: number;
  /** How long a lease lasts without renewal: a dead host's processor resumes elsewhere after it. Default 5 s. */
  readonly leaseTtlMs?: number;
  /** How often a standby host tries to take the lease. Default 1 s. */
  readonly standbyPollMs?: number;
  /** Re-read at least this often without a wake-up. Default 5 s. */
  readonly pollIntervalMs?: number;
  /** Tracer (a span per batch) and meter (orrery.processor.*). Default: no-ops. */
  readonly instrumentation?: Instrumentation;
}

const tenantOf = (streamId: string) =>
  parseEndpointStream(streamId)?.tenantId ??
  parseJobStream(streamId)?.tenantId ??
  tenantIdOf(streamId) ??
  '';

const message = (error: unknown) => (error instanceof Error ? error.message : String(error));

/**
 * Hosts one {@link Processor}: any number of processes may host it, one at a time is active —
 * the holder of its lease (see {@link ProcessorLease}); the others stand by and take over when
 * the lease lapses. The active host follows the log from the checkpoint on the shared
 * {@link WakeLoop}, woken by each append, and moves the checkpoint fenced by its lease.
 *
 * A stream whose events the processor cannot handle (an exception that is not an outage) is
 * parked — set aside with the error, visible in `parked_streams` — and the others go on: one bad
 * stream never stops a processor. A parked stream is tried again after a growing pause, and at
 * once when a new event arrives for it (an operator's fix is a normal command); an unreadable
 * event parks its stream too. Failures of the database are retried as a whole round instead.
 */
export class ProcessorHost {
  readonly #loop: WakeLoop;
  readonly #lease: ProcessorLease;
  readonly #parkedRows: ParkedStreams;
  readonly #now: () => Millis;
  #held: HeldLease | null = null;
  #position = 0;
  #parked = new Map<string, ParkedStream>();
  #renewal: NodeJS.Timeout | undefined;
  readonly #tracer: Tracer;
  readonly #metrics: ProcessorMetrics;

  constructor(private readonly options: ProcessorHostOptions) {
    const { processor, db, connectionString } = options;
    const { tracer, meter } = options.instrumentation ?? noopInstrumentation;
    this.#tracer = tracer;
    this.#metrics = new ProcessorMetrics(meter, processor.name);
    this.#now = options.now ?? Date.now;
    this.#lease = new ProcessorLease(db, processor.name, options.leaseTtlMs ?? 5_000);
    this.#parkedRows = new ParkedStreams(db, processor.name);
    const wakeSource: WakeSource | null =
      connectionString === null
        ? null
        : notifications(connectionString, EVENTS_CHANNEL, `orrery-${processor.name}`);
    this.#loop = new WakeLoop({
      name: `processor ${processor.name}`,
      log: options.log,
      wakeSource,
      tick: () => this.tick(),
    });
  }

  get name(): string {
    return this.options.processor.name;
  }

  /** Whether this host holds the lease now. */
  get active(): boolean {
    return this.#held !== null;
  }

  /** The position handled up to, while active. */
  get position(): number {
    return this.#position;
  }

  start = () => this.#loop.start();
  wake = () => this.#loop.wake();

  /** Stops after the round in progress and hands the lease over at once. */
  async stop(): Promise<void> {
    await this.#loop.stop();
    const held = this.#drop();
    if (held) await this.#lease.release(held.token).catch(() => {});
  }

  /**
   * One round: take the lease if free, retry parked streams that are due, handle the next batch,
   * run time-driven work. Returns how long to sleep before the next round (unless woken).
   */
  async tick(): Promise<number> {
    const { processor, log } = this.options;
    const batchSize = this.options.batchSize ?? 500;
    if (!this.#held && !(await this.#take())) return this.options.standbyPollMs ?? 1_000;
    try {
      await this.#retryParked();
      const { events, through } = await this.#read(batchSize);
      if (through > this.#position) {
        await this.#handle(events, through);
        // A new event for a parked stream makes it due at once: try it in this round.
        await this.#retryParked();
      }
      // Time-driven work runs every round, so full batches never hold it back.
      const dueAt = (await processor.due?.(this.#now(), { log })) ?? Infinity;
      if (events.length >= batchSize) return 0;
      const nextRetry = Math.min(...[...this.#parked.values()].map((p) => p.retryAt.getTime()));
      const wakeAt = Math.min(dueAt, nextRetry);
      return Math.max(0, Math.min(this.options.pollIntervalMs ?? 5_000, wakeAt - this.#now()));
    } catch (error) {
      if (!(error instanceof LeaseLostError)) throw error;
      log.warn({ processor: processor.name }, 'lease lost to another host; standing by');
      this.#drop();
      return 0;
    }
  }

  /** Handles everything up to the log's head now, then stops (tools and tests). */
  async runToHead(): Promise<number> {
    const head = await this.options.store.headPosition();
    while (!this.#held || this.#position < head) {
      if (!this.#held && !(await this.#take())) {
        throw new Error(`processor ${this.name} is running elsewhere (its lease is held)`);
      }
      await this.tick();
    }
    await this.stop();
    return head;
  }

  async #take(): Promise<boolean> {
    const held = await this.#lease.acquire();
    if (!held) return false;
    this.#held = held;
    this.#position = held.position;
    this.#parked = new Map((await this.#parkedRows.list()).map((p) => [p.streamId, p]));
    const every = (this.options.leaseTtlMs ?? 5_000) / 3;
    this.#renewal = setInterval(() => void this.#renew(held.token), every);
    this.options.log.info(
      { processor: this.name, position: held.position, parked: this.#parked.size },
      'took the lease: active',
    );
    return true;
  }

  async #renew(token: string): Promise<void> {
    try {
      if (!(await this.#lease.renew(token)) && this.#held?.token === token) {
        this.options.log.warn({ processor: this.name }, 'lease taken over by another host');
        this.#drop();
      }
    } catch (error) {
      // The database is away: keep trying; if the lease lapses meanwhile, fencing stops us.
      this.options.log.warn({ err: error, processor: this.name }, 'could not renew the lease');
    }
  }

  #drop(): HeldLease | null {
    const held = this.#held;
    clearInterval(this.#renewal);
    this.#held = null;
    return held;
  }

  #token(): string {
    if (!this.#held) throw new LeaseLostError(this.name);
    return this.#held.token;
  }

  /**
   * The next events after the position, and the position the round covers. An unreadable
   * event ends the batch: its stream is parked and the round covers it too.
   */
  async #read(limit: number): Promise<{ events: RecordedEvent[]; through: number }> {
    try {
      const { events, through } = await this.#readAfter(this.#position, limit);
      return { events: [...events], through };
    } catch (error) {
      if (!(error instanceof UnreadableEventError)) throw error;
      const events: RecordedEvent[] = [];
      for (let after = this.#position; after < error.position;) {
        const [next] = await this.#readAfter(after, 1).then(
          (page) => page.events,
          (e: unknown) => {
            if (e instanceof UnreadableEventError && e.position === error.position) return [];
            throw e;
          },
        );
        if (!next || next.position >= error.position) break;
        events.push(next);
        after = next.position;
      }
      await this.#park(
        { streamId: error.streamId, streamVersion: error.streamVersion, position: error.position },
        error,
      );
      return { events, through: error.position };
    }
  }

  /** Up to `limit` events after `after` (of the processor's types, if it names them). */
  async #readAfter(after: number, limit: number): Promise<TypesPage> {
    const { store, processor } = this.options;
    if (processor.types) return store.readTypes({ after, limit, types: processor.types });
    const events = await store.readAll({ after, limit });
    return { events, through: events.at(-1)?.position ?? after };
  }

  async #handle(batch: readonly RecordedEvent[], through: number): Promise<void> {
    const started = performance.now();
    const span = this.#tracer.startSpan('orrery.processor.batch', {
      attributes: { 'orrery.processor.name': this.name, 'orrery.processor.events': batch.length },
    });
    try {
      await this.#handleBatch(batch, through, span.spanContext());
      this.#metrics.batch(performance.now() - started, batch, this.#now());
      endSpan(span);
    } catch (error) {
      endSpan(span, error);
      throw error;
    }
  }

  async #handleBatch(
    batch: readonly RecordedEvent[],
    through: number,
    span: SpanContext,
  ): Promise<void> {
    const { processor, db } = this.options;
    const waiting = [
      ...new Set(batch.filter((e) => this.#parked.has(e.streamId)).map((e) => e.streamId)),
    ];
    if (waiting.length > 0) await this.#retrySoon(waiting);
    const mine = batch.filter(
      (e) => !this.#parked.has(e.streamId) && (processor.wants?.(e) ?? true),
    );
    let moved = false;
    const whole: ProcessorContext = {
      log: this.options.log,
      span,
      fence: async (trx) => {
        await this.#lease.fence(trx, this.#token(), through);
        moved = true;
      },
    };
    this.#metrics.handled('skipped', batch.length - mine.length);
    if (mine.length > 0) {
      try {
        await processor.handle(mine, whole);
        this.#metrics.handled('handled', mine.length);
      } catch (error) {
        if (error instanceof LeaseLostError || isTransient(error)) throw error;
        await this.#isolate(mine);
        moved = false;
      }
    }
    if (!moved) await this.#lease.fence(db, this.#token(), through);
    this.#position = through;
  }

  /** Handles a failed batch stream by stream, parking the streams that fail on their own. */
  async #isolate(events: readonly RecordedEvent[]): Promise<void> {
    const byStream = new Map<string, RecordedEvent[]>();
    for (const event of events) {
      const list = byStream.get(event.streamId);
      if (list) list.push(event);
      else byStream.set(event.streamId, [event]);
    }
    for (const streamEvents of byStream.values()) {
      try {
        await this.options.processor.handle(streamEvents, this.#fenceOnly());
        this.#metrics.handled('handled', streamEvents.length);
      } catch (error) {
        if (error instanceof LeaseLostError || isTransient(error)) throw error;
        const first = streamEvents[0];
        if (first) await this.#park(first, error);
        this.#metrics.handled('parked', streamEvents.length);
      }
    }
  }

  #fenceOnly(): ProcessorContext {
    return { log: this.options.log, fence: (trx) => this.#lease.fence(trx, this.#token()) };
  }

  async #park(
    at: { streamId: string; streamVersion: number; position: number },
    error: unknown,
  ): Promise<void> {
    const stream = { ...at, tenantId: tenantOf(at.streamId) };
    await this.#parkedRows.park(stream, message(error));
    const parked = (await this.#parkedRows.list()).find((p) => p.streamId === at.streamId);
    if (parked) this.#parked.set(at.streamId, parked);
    this.options.log.error(
      { err: error, processor: this.name, stream: at.streamId, position: at.position },
      'stream parked: its events could not be handled; the others go on',
    );
  }

  async #retrySoon(streamIds: readonly string[]): Promise<void> {
    await this.#parkedRows.retrySoon(streamIds);
    const now = new Date(this.#now());
    for (const id of streamIds) {
      const parked = this.#parked.get(id);
      if (parked) this.#parked.set(id, { ...parked, retryAt: now });
    }
  }

  /** Tries the parked streams that are due again, from their first unhandled event. */
  async #retryParked(): Promise<void> {
    const { processor, store, log } = this.options;
    for (const parked of [...this.#parked.values()]) {
      if (parked.retryAt.getTime() > this.#now()) continue;
      try {
        const events = (
          await store.readStream(parked.streamId, { fromVersion: parked.streamVersion })
        ).filter((e) => e.position <= this.#position && (processor.wants?.(e) ?? true));
        if (events.length > 0) await processor.handle(events, this.#fenceOnly());
        await this.#parkedRows.unpark(parked.streamId);
        this.#parked.delete(parked.streamId);
        log.info(
          { processor: this.name, stream: parked.streamId },
          'parked stream handled: resumed',
        );
      } catch (error) {
        if (error instanceof LeaseLostError || isTransient(error)) throw error;
        await this.#parkedRows.failedAgain(parked.streamId, parked.attempts, message(error));
        const refreshed = (await this.#parkedRows.list()).find(
          (p) => p.streamId === parked.streamId,
        );
        if (refreshed) this.#parked.set(parked.streamId, refreshed);
      }
    }
  }
}

/**
 * Runs a processor up to the log's head now, here, without a loop — for tools (a rebuild),
 * tests and one-off catch-ups. Refuses while another process holds the processor's lease.
 */
export function runToHead(
  processor: Processor,
  deps: Pick<ProcessorHostOptions, 'store' | 'db' | 'log' | 'batchSize'>,
): Promise<number> {
  return new ProcessorHost({ ...deps, processor, connectionString: null }).runToHead();
}
