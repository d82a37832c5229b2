/** One answer of `GET /readyz`: the HTTP status and the problem's detail (or the failure). */
export interface ReadinessAnswer {
  readonly at: number;
  readonly status: number | 'no answer';
  readonly detail: string;
}

/**
 * Asks `GET <baseUrl>/readyz` every `intervalMs` (one request at a time) and keeps every
 * answer, until stopped.
 */
export class ReadinessWatch {
  readonly answers: ReadinessAnswer[] = [];
  #running = true;
  readonly #done: Promise<void>;

  constructor(
    private readonly baseUrl: string,
    private readonly intervalMs = 1_000,
  ) {
    this.#done = this.#run();
  }

  /** One answer now. */
  static async ask(baseUrl: string): Promise<ReadinessAnswer> {
    const at = Date.now();
    try {
      const response = await fetch(`${baseUrl}/readyz`, { signal: AbortSignal.timeout(10_000) });
      const body = (await response.json()) as { detail?: unknown; status?: unknown };
      return { at, status: response.status, detail: String(body.detail ?? body.status ?? '') };
    } catch (error) {
      return { at, status: 'no answer', detail: error instanceof Error ? error.message : '' };
    }
  }

  async #run(): Promise<void> {
    while (this.#running) {
      this.answers.push(await ReadinessWatch.ask(this.baseUrl));
      await new Promise((resolve) => setTimeout(resolve, this.intervalMs));
    }
  }

  /** Stops asking; resolves once the request in flight (if any) has its answer. */
  async stop(): Promise<readonly ReadinessAnswer[]> {
    this.#running = false;
    await this.#done;
    return this.answers;
  }
}
