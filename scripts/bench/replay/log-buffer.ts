/**
 * The generated log before it is appended: append requests in log order, each with its exact
 * expected version, the time to record, and the idempotency key the service that decides it in
 * production would use — and the position each event will get (the log is written by us alone,
 * from an empty table, so positions follow one another; the writer checks them).
 */
import { toIso, type AppendRequest, type DomainEvent, type Millis } from '@orrery/domain';

export class LogBuffer {
  #requests: AppendRequest[] = [];
  #pending = 0;
  #written = 0;
  readonly #byType = new Map<string, number>();

  /** `last`: the log's position before the first event generated. */
  constructor(private last: number) {}

  /** Events generated so far. */
  get events(): number {
    return this.#written + this.#pending;
  }

  /** Events waiting in the buffer. */
  get pending(): number {
    return this.#pending;
  }

  /** Events by type, over everything generated. */
  get byType(): ReadonlyMap<string, number> {
    return this.#byType;
  }

  /**
   * Adds one append request; returns the position its first event will get. `version` is the
   * stream's version before it (the request's expected version).
   */
  add(
    streamId: string,
    version: number,
    events: readonly DomainEvent[],
    at: Millis,
    idempotencyKey?: string,
  ): number {
    if (events.length === 0) return this.last;
    this.#requests.push({
      streamId,
      expectedVersion: version,
      events,
      recordedAt: toIso(at),
      ...(idempotencyKey === undefined ? {} : { idempotencyKey }),
    });
    for (const event of events) {
      this.#byType.set(event.type, (this.#byType.get(event.type) ?? 0) + 1);
    }
    const first = this.last + 1;
    this.last += events.length;
    this.#pending += events.length;
    return first;
  }

  /** Takes the buffered requests (log order). */
  take(): AppendRequest[] {
    const taken = this.#requests;
    this.#requests = [];
    this.#written += this.#pending;
    this.#pending = 0;
    return taken;
  }
}
