/**
 * The baselines a replay is measured against, on the same log in the same run: reading it from
 * position 0 in batches of the replay's size, (1) as raw SQL rows — the statement `readAll`
 * sends, through the store's pool, so int8 and jsonb are parsed as the store gets them, but not
 * decoded — with the catalogue's decoding of those rows (`decodeEventRow`: zod, per event) timed
 * on its own; (2) through the store's `readAll`, decoding included; (3) with the replay's own
 * reader (`readLog`: each event as one JSON array, those of 256 consecutive positions in one
 * text, the next chunk's query running meanwhile).
 */
import {
  createEventStorePool,
  createPostgresEventStore,
  decodeEventRow,
  type EventRow,
} from '@orrery/event-store';
import { readLog } from '@orrery/scheduling';
import type { Progress } from '../progress.js';

export interface ReadPass {
  readonly events: number;
  readonly seconds: number;
  readonly perSecond: number;
}

export interface ReadBaselines {
  /** Raw rows (SQL, driver, JSON parsed; no decoding). */
  readonly raw: ReadPass;
  /** `decodeEventRow` over the same rows, alone: the catalogue's validation. */
  readonly decode: ReadPass;
  /** `store.readAll`, decoding included. */
  readonly readAll: ReadPass;
  /** The replay's own reader (`readLog`, trusted reads), alone: what a replay's folding adds to. */
  readonly replayRead: ReadPass;
}

const pass = (events: number, ms: number): ReadPass => ({
  events,
  seconds: ms / 1000,
  perSecond: ms > 0 ? (events * 1000) / ms : 0,
});

/** Calls `show` at most once a second. */
export function everySecond(show: () => void): () => void {
  let shownAt = 0;
  return () => {
    const now = performance.now();
    if (now - shownAt < 1_000) return;
    shownAt = now;
    show();
  };
}

const SELECT = 'select * from "events" where "position" > $1 order by "position" limit $2';

async function rawRead(
  url: string,
  batch: number,
  head: number,
  progress: Progress,
): Promise<{ raw: ReadPass; decode: ReadPass }> {
  const pool = createEventStorePool({ connectionString: url, max: 1 });
  try {
    let after = 0;
    let rows = 0;
    let decodeMs = 0;
    const show = everySecond(() =>
      progress.update(`raw SQL read: ${rows.toLocaleString('en')} / ${head.toLocaleString('en')}`),
    );
    const started = performance.now();
    while (after < head) {
      const result = await pool.query<EventRow>(SELECT, [after, batch]);
      if (result.rows.length === 0) break;
      const decoding = performance.now();
      for (const row of result.rows) decodeEventRow(row);
      decodeMs += performance.now() - decoding;
      rows += result.rows.length;
      after = Number(result.rows.at(-1)?.position ?? head);
      show();
    }
    progress.done();
    const ms = performance.now() - started - decodeMs;
    return { raw: pass(rows, ms), decode: pass(rows, decodeMs) };
  } finally {
    await pool.end();
  }
}

async function storeRead(
  url: string,
  batch: number,
  head: number,
  progress: Progress,
): Promise<ReadPass> {
  const store = createPostgresEventStore({ connectionString: url, maxConnections: 1 });
  try {
    let after = 0;
    let events = 0;
    const show = everySecond(() =>
      progress.update(`readAll: ${events.toLocaleString('en')} / ${head.toLocaleString('en')}`),
    );
    const started = performance.now();
    while (after < head) {
      const read = await store.readAll({ after, limit: batch });
      if (read.length === 0) break;
      events += read.length;
      after = read.at(-1)?.position ?? head;
      show();
    }
    progress.done();
    return pass(events, performance.now() - started);
  } finally {
    await store.close();
  }
}

async function logRead(url: string, head: number, progress: Progress): Promise<ReadPass> {
  let events = 0;
  const show = everySecond(() =>
    progress.update(`readLog: ${events.toLocaleString('en')} / ${head.toLocaleString('en')}`),
  );
  const started = performance.now();
  for await (const chunk of readLog(url, { after: 0, through: head })) {
    events += chunk.events.length + chunk.unreadable.length;
    show();
  }
  progress.done();
  return pass(events, performance.now() - started);
}

export async function readBaselines(
  url: string,
  batch: number,
  head: number,
  progress: Progress,
): Promise<ReadBaselines> {
  const { raw, decode } = await rawRead(url, batch, head, progress);
  const readAll = await storeRead(url, batch, head, progress);
  const replayRead = await logRead(url, head, progress);
  return { raw, decode, readAll, replayRead };
}
