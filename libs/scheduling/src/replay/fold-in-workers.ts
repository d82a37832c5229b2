import { fileURLToPath } from 'node:url';
import { Worker } from 'node:worker_threads';
import { build } from 'esbuild';
import type { Logger } from 'pino';
import type { ReplayParked, ReplayProgress, ReplayTimings } from './fold-into.js';
import { parkedOnce, writeFinal, writeRows } from './fold-writes.js';
import type { Shadow } from './shadow.js';
import type { FromWorker, ToWorker, WorkerTask } from './worker-messages.js';

export interface WorkerFoldOptions {
  readonly connectionString: string;
  /** The log from position 0 through this one. */
  readonly through: number;
  readonly batchSize: number;
  readonly verify: boolean;
  readonly tenants: readonly string[] | null;
  /** Threads, each folding its part of the endpoints (see `LogReadOptions.partition`). */
  readonly workers: number;
  /** The processor the parked streams are recorded for. */
  readonly name: string;
  readonly log: Logger;
  readonly onProgress?: ((progress: ReplayProgress) => void | Promise<void>) | undefined;
}

/**
 * Young generation of a fold thread, in MB. A chunk's events live while it is folded: with
 * V8's default (a few MB) they outlive two scavenges and are copied into the old generation,
 * which then needs marking; with room for a chunk they die young. Measured on a 1M-event log
 * (`npm run bench -- --only replay`): a third less time in GC than the default.
 */
const YOUNG_GENERATION_MB = 192;

type Done = Extract<FromWorker, { type: 'done' }>;

/**
 * Folds the log in worker threads — each its part of the endpoints, reading and decoding its
 * own chunks — while this thread writes the rows they hand over, one batch at a time on the
 * shadow's connection, then the final rows from every part. Off the caller's event loop (an API
 * process goes on serving while it replays), and on as many cores as there are parts.
 */
export async function foldInWorkers(
  shadow: Shadow,
  options: WorkerFoldOptions,
): Promise<{ parked: ReplayParked[]; events: number; timings: ReplayTimings }> {
  const started = performance.now();
  const count = Math.max(1, Math.floor(options.workers));
  const code = await foldThreadCode();
  const workers = Array.from({ length: count }, (_, index) =>
    startWorker(code, {
      connectionString: options.connectionString,
      through: options.through,
      batchSize: options.batchSize,
      verify: options.verify,
      tenants: options.tenants,
      partition: { index, count },
    }),
  );
  const read = new Array<number>(count).fill(0);
  const position = new Array<number>(count).fill(0);
  let writing: Promise<void> = Promise.resolve();
  let reporting: Promise<void> | null = null;
  let failed: (error: unknown) => void = () => {};
  const failure = new Promise<never>((_, reject) => (failed = reject));
  failure.catch(() => {}); // raced below; not unhandled before that

  const report = () => {
    if (!options.onProgress || reporting) return; // the next chunk reports again
    const progress: ReplayProgress = {
      read: read.reduce((a, b) => a + b, 0),
      total: options.through,
      position: Math.min(...position),
      through: options.through,
      elapsedMs: performance.now() - started,
    };
    reporting = Promise.resolve(options.onProgress(progress)).then(
      () => void (reporting = null),
      failed,
    );
  };

  const finished = workers.map(
    (worker, index) =>
      new Promise<Done>((resolve, reject) => {
        worker.on('message', (message: FromWorker) => {
          read[index] = message.read;
          if (message.type === 'done') return resolve(message);
          position[index] = message.position;
          const { rows } = message;
          if (rows) {
            writing = writing
              .then(() => writeRows(shadow, rows))
              .then(() => worker.postMessage({ type: 'written' } satisfies ToWorker));
            writing.catch(failed);
          }
          report();
        });
        worker.on('error', reject);
        worker.on('exit', (code) =>
          reject(new Error(`replay fold thread ${index} stopped (exit code ${code}) unfinished`)),
        );
      }),
  );
  try {
    const done = await Promise.race([Promise.all(finished), failure]);
    await Promise.race([writing, failure]);
    await reporting;
    const folded = performance.now();
    await writeFinal(
      shadow,
      options.name,
      done.map((d) => d.result),
    );
    const slowest = done.reduce((a, b) => (total(b.timings) > total(a.timings) ? b : a));
    const finishMs = performance.now() - folded;
    const startMs = Math.max(0, folded - started - total(slowest.timings));
    return {
      parked: parkedOnce(done.map((d) => d.result)).map(({ streamId, position, error }) => ({
        streamId,
        position,
        error,
      })),
      events: done.reduce((n, d) => n + d.read, 0),
      timings: { ...slowest.timings, startMs, finishMs },
    };
  } finally {
    await Promise.all(workers.map((w) => w.terminate()));
  }
}

const total = (t: Done['timings']) => t.readMs + t.decodeMs + t.foldMs + t.writeWaitMs;

const ENTRY = fileURLToPath(new URL('./fold-worker.ts', import.meta.url));

/**
 * The fold thread's code, bundled by esbuild (the compiler tsx runs the services' TypeScript
 * with) into one ES module, once per process. A thread that imported the TypeScript itself
 * registered tsx and loaded a few hundred files through its loader hooks: 0.8–0.9 s before it
 * read the log, against 0.4–0.5 s with the bundle, esbuild's time included (replays of the
 * bench's log).
 * Node built-ins stay imports; the packages the fold uses (pg, zod, the domain) are in it.
 */
let bundled: Promise<URL> | null = null;

/**
 * Starts bundling the fold thread's code (in esbuild's own process) while the caller does other
 * work — a replay creates its shadow meanwhile; {@link foldInWorkers} then finds it ready.
 */
export function prepareFoldThreads(): void {
  void foldThreadCode().catch(() => {}); // a failure is foldInWorkers' to report
}

function foldThreadCode(): Promise<URL> {
  bundled ??= build({
    entryPoints: [ENTRY],
    bundle: true,
    platform: 'node',
    format: 'esm',
    target: `node${process.versions.node}`,
    write: false,
    logLevel: 'silent',
    // pg's optional native binding, never used: a plain `pg` is.
    external: ['pg-native'],
    // The CommonJS packages bundled (pg) require Node built-ins.
    banner: {
      js: `import { createRequire as __orreryRequire } from 'node:module'; const require = __orreryRequire(${JSON.stringify(ENTRY)});`,
    },
  }).then(({ outputFiles }) => {
    const [file] = outputFiles;
    if (!file) throw new Error(`esbuild gave no bundle for ${ENTRY}`);
    return new URL(`data:text/javascript;base64,${Buffer.from(file.contents).toString('base64')}`);
  });
  bundled.catch(() => (bundled = null)); // the next replay tries again
  return bundled;
}

function startWorker(code: URL, task: WorkerTask): Worker {
  return new Worker(code, {
    workerData: task,
    resourceLimits: { maxYoungGenerationSizeMb: YOUNG_GENERATION_MB },
  });
}
