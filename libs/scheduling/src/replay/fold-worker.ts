/**
 * A replay's fold in a worker thread (started by `foldInWorkers`): reads its part of the log,
 * folds it, hands the finished rows to the main thread — which writes them — and at the end the
 * final states. One batch of rows at a time: it waits for the main thread to say they are
 * written before handing over the next, so the fold never runs far ahead of the database.
 */
import { parentPort, workerData } from 'node:worker_threads';
import type { RecordedEvent } from '@orrery/domain';
import { schedulingWants } from '../projection/wants.js';
import { finalBuffers, finalRowsOf } from './final-rows.js';
import { rowsOf } from './ready-rows.js';
import { readLog } from './log-reader.js';
import { MemoryFold } from './memory-fold.js';
import type { FromWorker, ToWorker, WorkerTask } from './worker-messages.js';

const task = workerData as WorkerTask;
const port = parentPort;
if (!port) throw new Error('fold-worker.ts runs in a worker thread (see foldInWorkers)');

let written: (() => void) | null = null;
port.on('message', (message: ToWorker) => {
  if (message.type === 'written') written?.();
});
const post = (message: FromWorker, transfer: ArrayBuffer[] = []) =>
  port.postMessage(message, transfer);

const kept = task.tenants && new Set(task.tenants);
const wants = (event: RecordedEvent) =>
  (!kept || kept.has(event.metadata.tenantId)) && schedulingWants(event);
// Job and tenant streams are read by every part; part 0 counts them.
const counts = (event: { streamId: string }) =>
  task.partition.index === 0 || event.streamId.startsWith('endpoint-');

const fold = new MemoryFold(wants);
const spent = { readMs: 0, decodeMs: 0, foldMs: 0, writeWaitMs: 0 };
let mark = performance.now();
const lap = (stage: keyof typeof spent) => {
  const now = performance.now();
  spent[stage] += now - mark;
  mark = now;
};
let read = 0;
let inFlight: Promise<void> = Promise.resolve();
for await (const chunk of readLog(task.connectionString, {
  after: 0,
  through: task.through,
  chunk: task.batchSize,
  verify: task.verify,
  partition: task.partition,
})) {
  lap('readMs');
  spent.readMs -= chunk.decodeMs;
  spent.decodeMs += chunk.decodeMs;
  fold.apply(chunk);
  read += chunk.events.filter(counts).length + chunk.unreadable.filter(counts).length;
  lap('foldMs');
  const ready = fold.takeReady(task.batchSize);
  const rows = ready && rowsOf(ready);
  lap('foldMs');
  if (rows) {
    // Only before handing over more rows: a chunk that brings none (most of them) goes on
    // folding while the last batch is written.
    await inFlight;
    lap('writeWaitMs');
    inFlight = new Promise<void>((resolve) => (written = resolve));
  }
  post({ type: 'chunk', rows, read, position: chunk.through });
}
await inFlight;
lap('writeWaitMs');
// This part's final rows, made here (each thread its own, at once) and handed over as bytes.
const result = finalRowsOf(fold.result());
lap('foldMs');
post({ type: 'done', result, read, timings: spent }, finalBuffers(result));
port.removeAllListeners('message'); // the thread ends once nothing holds it
