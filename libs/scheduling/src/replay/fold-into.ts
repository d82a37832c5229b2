import type { Logger } from 'pino';
import { schedulingWants } from '../projection/wants.js';
import { finalRowsOf } from './final-rows.js';
import { writeFinal, writeReady } from './fold-writes.js';
import { MemoryFold } from './memory-fold.js';
import type { Shadow } from './shadow.js';
import type { EventSource } from './source.js';

/** How far a replay has read, reported after each chunk. */
export interface ReplayProgress {
  /** Events read so far, and how many there are to read (for the log: positions). */
  readonly read: number;
  readonly total: number;
  /** The position handled up to, and the last event to handle (its position). */
  readonly position: number;
  readonly through: number;
  readonly elapsedMs: number;
}

/**
 * Where a replay's time went (milliseconds of wall time, which add up to the whole): waiting
 * for the log's next chunk, decoding it, folding it, waiting for the rows of earlier chunks to be
 * written, and the final writes (schedule, jobs, runs in flight). Folded in worker threads, the
 * stages are those of the thread that took longest.
 */
export interface ReplayTimings {
  /** Starting the fold's worker threads (loading its code), when it runs in them. */
  readonly startMs?: number;
  readonly readMs: number;
  readonly decodeMs: number;
  readonly foldMs: number;
  readonly writeWaitMs: number;
  readonly finishMs: number;
}

/** A stream the replay set aside because the projection could not handle it. */
export interface ReplayParked {
  readonly streamId: string;
  readonly position: number;
  readonly error: string;
}

/**
 * Folds the source into the shadow with the projection's own folds, held in memory (see
 * {@link MemoryFold}): the next chunk is read while this one folds, and finished rows are written
 * while the next ones fold, so the log, the fold and the writes overlap. The shadow's
 * `parked_streams` get the streams the fold set aside, as the live host's would.
 */
export async function foldInto(
  shadow: Shadow,
  source: EventSource,
  deps: {
    readonly name: string;
    /** Rows written at a time while the fold goes on (answered runs, conflicts, sessions). */
    readonly batchSize: number;
    readonly log: Logger;
    readonly onProgress?: ((progress: ReplayProgress) => void | Promise<void>) | undefined;
  },
): Promise<{ parked: ReplayParked[]; events: number; timings: ReplayTimings }> {
  const fold = new MemoryFold((event) => source.wants(event) && schedulingWants(event));
  const started = performance.now();
  const spent = { readMs: 0, decodeMs: 0, foldMs: 0, writeWaitMs: 0, finishMs: 0 };
  let read = 0;
  let writing: Promise<void> = Promise.resolve();
  let mark = performance.now();
  const lap = (stage: keyof typeof spent) => {
    const now = performance.now();
    spent[stage] += now - mark;
    mark = now;
  };
  for await (const chunk of source.chunks()) {
    lap('readMs');
    spent.readMs -= chunk.decodeMs;
    spent.decodeMs += chunk.decodeMs;
    fold.apply(chunk);
    read += chunk.events.length + chunk.unreadable.length;
    lap('foldMs');
    const ready = fold.takeReady(deps.batchSize);
    if (ready) {
      await writing; // one write in flight: the fold never runs far ahead of the database
      writing = writeReady(shadow, ready);
      writing.catch(() => {}); // awaited above or below; not unhandled meanwhile
    }
    lap('writeWaitMs');
    await deps.onProgress?.({
      read,
      total: source.total,
      position: chunk.through,
      through: source.last,
      elapsedMs: performance.now() - started,
    });
    mark = performance.now(); // a progress bar's time is the caller's
  }
  await writing;
  lap('writeWaitMs');
  await writeFinal(shadow, deps.name, [finalRowsOf(fold.result())]);
  lap('finishMs');
  for (const parked of fold.parked) {
    deps.log.error(
      { stream: parked.streamId, position: parked.position, error: parked.error },
      'stream parked: its events could not be handled; the others go on',
    );
  }
  return {
    parked: fold.parked.map(({ streamId, position, error }) => ({ streamId, position, error })),
    events: read,
    timings: spent,
  };
}
