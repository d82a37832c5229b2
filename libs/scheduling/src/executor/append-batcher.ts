import type { AppendOutcome, AppendRequest, EventStore } from '@orrery/domain';

interface Pending {
  readonly request: AppendRequest;
  readonly resolve: (outcome: AppendOutcome) => void;
  readonly reject: (error: unknown) => void;
}

/**
 * Group commit for independent appends. At most one `appendEach` is in flight;
 * everything that arrives meanwhile leaves together in the next one. Under
 * load, batches grow by themselves and the event log's ordering lock is taken
 * once per batch instead of once per append; when idle, an append leaves after
 * `lingerMs` (0: on the next turn of the event loop). Each caller gets its own
 * outcome (a result, a duplicate, or a ConcurrencyError for a stale version).
 */
export class AppendBatcher {
  #pending: Pending[] = [];
  #inFlight: Promise<void> | undefined;
  #timer: NodeJS.Timeout | undefined;

  constructor(
    private readonly store: EventStore,
    private readonly lingerMs = 0,
    private readonly maxBatch = 500,
  ) {}

  append(request: AppendRequest): Promise<AppendOutcome> {
    return new Promise((resolve, reject) => {
      this.#pending.push({ request, resolve, reject });
      this.#schedule();
    });
  }

  /** Appends several requests; their outcomes in order. */
  appendAll(requests: readonly AppendRequest[]): Promise<AppendOutcome[]> {
    return Promise.all(requests.map((request) => this.append(request)));
  }

  #schedule(): void {
    if (this.#inFlight) return; // the batch in flight takes the next one along when it ends
    if (this.#pending.length >= this.maxBatch) return this.#flush();
    this.#timer ??= setTimeout(() => this.#flush(), this.lingerMs);
  }

  #flush(): void {
    clearTimeout(this.#timer);
    this.#timer = undefined;
    if (this.#inFlight || this.#pending.length === 0) return;
    const batch = this.#pending.splice(0, this.maxBatch);
    this.#inFlight = this.store.appendEach(batch.map((p) => p.request)).then(
      (outcomes) =>
        batch.forEach((p, i) => {
          const outcome = outcomes[i];
          if (outcome) p.resolve(outcome);
          else p.reject(new Error('appendEach returned fewer outcomes than requests'));
        }),
      (error: unknown) => batch.forEach((p) => p.reject(error)),
    );
    void this.#inFlight.finally(() => {
      this.#inFlight = undefined;
      if (this.#pending.length > 0) this.#flush();
    });
  }

  /** Sends what is pending now and waits until nothing is pending or in flight. */
  async drain(): Promise<void> {
    while (this.#inFlight || this.#pending.length > 0) {
      this.#flush();
      await this.#inFlight;
    }
  }
}
