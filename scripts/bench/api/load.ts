/**
 * Drives HTTP load from a worker thread (load-worker.ts): saturated with autocannon, at a fixed
 * rate open loop (open-loop.ts).
 */
import { Worker } from 'node:worker_threads';
import type { Summary } from '../stats.js';
import { withTimeout } from '../time.js';

export interface LoadJob {
  readonly url: string;
  /** Open connections (one request in flight on each). */
  readonly connections: number;
  readonly seconds: number;
  readonly headers: Record<string, string>;
  /** Requests per second over all connections, or null to saturate. */
  readonly rate: number | null;
}

export interface LoadResult {
  readonly requests: number;
  readonly perSecond: number;
  readonly seconds: number;
  /**
   * Response time, ms. Saturated: autocannon's, in whole milliseconds. At a fixed rate: from each
   * request's planned send time to its response's last byte, to 10 µs (see open-loop.ts).
   */
  readonly latencyMs: Summary;
  /**
   * At a fixed rate: how late the load thread sent each request after its planned time — the
   * generator's own share of `latencyMs` (its timer, its thread on a shared core).
   */
  readonly sendLagMs?: Summary;
  /** Connection errors and timeouts. */
  readonly errors: number;
  readonly non2xx: number;
  readonly statuses: Record<string, number>;
}

export interface LoadGenerator {
  run(job: LoadJob): Promise<LoadResult>;
  close(): Promise<void>;
}

export async function startLoadGenerator(): Promise<LoadGenerator> {
  // Loader hooks are per thread: the worker registers tsx itself, then imports the TS module.
  const api = import.meta.resolve('tsx/esm/api');
  const entry = new URL('./load-worker.ts', import.meta.url).href;
  const worker = new Worker(
    `import(${JSON.stringify(api)}).then((tsx) => tsx.tsImport(${JSON.stringify(entry)}, ${JSON.stringify(import.meta.url)}))`,
    { eval: true },
  );
  await withTimeout(
    new Promise<void>((resolve, reject) => {
      worker.once('error', reject);
      worker.once('message', () => resolve());
    }),
    15_000,
    'starting the load thread',
  );
  let next = 0;
  const pending = new Map<
    number,
    { resolve: (r: LoadResult) => void; reject: (e: Error) => void }
  >();
  worker.on('message', (m: { id: number; result?: LoadResult; error?: string }) => {
    const waiter = pending.get(m.id);
    pending.delete(m.id);
    if (m.result) waiter?.resolve(m.result);
    else waiter?.reject(new Error(`load thread: ${m.error ?? 'no result'}`));
  });
  worker.on('error', (error) => {
    for (const waiter of pending.values()) waiter.reject(error);
    pending.clear();
  });
  return {
    run: (job) =>
      new Promise<LoadResult>((resolve, reject) => {
        const id = next++;
        pending.set(id, { resolve, reject });
        worker.postMessage({ id, job });
      }),
    close: async () => {
      await worker.terminate();
    },
  };
}
