import type { AppendOutcome, AppendRequest, EventStore } from '@orrery/domain';

/**
 * Gathers appends from concurrent callers into one `appendEach` round trip.
 * The first append of a batch waits at most `maxDelayMs` for company; a batch
 * never exceeds `maxBatch`. Each caller gets its own outcome.
 */
export class AppendBatcher {
  #pending: { request: AppendRequest; settle: (o: AppendOutcome | Error) => void }[] = [];
  #timer: NodeJS.Timeout | undefined;
  #inFlight = new Set<Promise<void>>();

  constructor(
    private readonly store: EventStore,
    private readonly maxDelayMs = 2,
    private readonly maxBatch = 200,
  ) {}

  append(request: AppendRequest): Promise<AppendOutcome> {
    return new Promise((resolve, reject) => {
      this.#pending.push({
        request,
        settle: (o) =>
          o instanceof Error && !('streamId' in o) ? reject(o) : resolve(o as AppendOutcome),
      });
      if (this.#pending.length >= this.maxBatch) this.#flush();
      else this.#timer ??= setTimeout(() => this.#flush(), this.maxDelayMs);
    });
  }

  #flush(): void {
    clearTimeout(this.#timer);
    this.#timer = undefined;
    const batch = this.#pending;
    this.#pending = [];
    if (batch.length === 0) return;
    const done = this.store.appendEach(batch.map((p) => p.request)).then(
      (outcomes) => batch.forEach((p, i) => p.settle(outcomes[i] ?? new Error('no outcome'))),
      (error: unknown) =>
        batch.forEach((p) => p.settle(error instanceof Error ? error : new Error(String(error)))),
    );
    this.#inFlight.add(done);
    void done.finally(() => this.#inFlight.delete(done));
  }

  /** Flushes what is pending and waits for every batch in flight. */
  async drain(): Promise<void> {
    this.#flush();
    await Promise.all(this.#inFlight);
  }
}
