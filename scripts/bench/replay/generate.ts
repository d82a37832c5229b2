/**
 * Writes a generated history into an empty log through the event store's `appendMany` — so
 * every row is what the store writes, positions, versions, keys and all — in batches of about
 * BATCH events, generating the next batch while the previous one is being appended.
 */
import type { AppendRequest, EventStore } from '@orrery/domain';
import { History } from './simulation.js';
import { buildWorld, type GeneratorOptions } from './world.js';

/**
 * Events per appendMany: one INSERT under the ordering lock. Large, because each call also reads
 * the streams' versions and keys before the lock, and on a log without fresh statistics that
 * read scans the table: 25 000 events a call wrote 14 000 events/s here, 2 000 only 6 700.
 */
const BATCH = 25_000;
/** Generated between two turns of the event loop, so the append in flight moves on meanwhile. */
const SLICE = 2_500;

const count = (requests: readonly AppendRequest[]) =>
  requests.reduce((n, r) => n + r.events.length, 0);

const nextTurn = () => new Promise<void>((resolve) => setImmediate(resolve));

/** The next batch, generated a slice at a time. */
async function nextBatch(history: History): Promise<AppendRequest[]> {
  const requests: AppendRequest[] = [];
  let events = 0;
  while (events < BATCH && !history.done) {
    const slice = history.next(SLICE);
    events += count(slice);
    requests.push(...slice);
    await nextTurn();
  }
  return requests;
}

export interface GenerateResult {
  readonly events: number;
  readonly seconds: number;
  readonly eventsPerSecond: number;
  readonly tenants: number;
  readonly jobs: number;
  readonly endpoints: number;
  readonly edges: number;
  /** Simulated time the history covers (its first to its last event). */
  readonly historyHours: number;
  readonly byType: Record<string, number>;
  readonly seed: number;
}

export interface StatusLine {
  update(line: string): void;
  done(): void;
}

async function append(
  store: EventStore,
  requests: readonly AppendRequest[],
  first: number,
): Promise<void> {
  if (requests.length === 0) return;
  const results = await store.appendMany(requests);
  const got = [results[0]?.positions[0], results.at(-1)?.positions.at(-1)];
  const expected = [first, first + count(requests) - 1];
  if (got[0] !== expected[0] || got[1] !== expected[1]) {
    // Positions are computed ahead (cascades name their upstream's); another writer broke them.
    throw new Error(
      `the batch got positions ${got.join('…')}, expected ${expected.join('…')}: is something else writing?`,
    );
  }
}

const fmt = (n: number) => Math.round(n).toLocaleString('en');

/**
 * Generates `options.events` events (a few more: the last decision is written whole) into the
 * store's log, which must be empty. Shows events/s and the time left once a second.
 */
export async function generateEvents(
  store: EventStore,
  options: GeneratorOptions,
  status: StatusLine,
  signal?: AbortSignal,
): Promise<GenerateResult> {
  const head = await store.headPosition();
  if (head !== 0) throw new Error(`the log holds ${head} events: generate into an empty database`);
  const world = buildWorld(options);
  const history = new History(world, options, head);
  const started = performance.now();
  let written = 0;
  let shownAt = 0;
  let first = 1;
  let firstAt: string | undefined;
  let lastAt: string | undefined;
  let appending: Promise<void> = Promise.resolve();
  while (!history.done && !signal?.aborted) {
    const requests = await nextBatch(history);
    await appending;
    firstAt ??= requests[0]?.recordedAt;
    lastAt = requests.at(-1)?.recordedAt ?? lastAt;
    appending = append(store, requests, first);
    // Handled here too, so a failed append waits for the next `await` instead of ending the process.
    appending.catch(() => {});
    first += count(requests);
    written = first - 1 - count(requests);
    const elapsed = (performance.now() - started) / 1000;
    if (elapsed - shownAt >= 1) {
      shownAt = elapsed;
      const rate = written / elapsed;
      const left = (options.events - written) / Math.max(rate, 1);
      status.update(
        `generating: ${fmt(written)} / ${fmt(options.events)} events (${fmt(rate)}/s, ~${Math.ceil(left)} s left)`,
      );
    }
  }
  await appending;
  status.done();
  const events = first - 1;
  const seconds = (performance.now() - started) / 1000;
  const span = firstAt && lastAt ? Date.parse(lastAt) - Date.parse(firstAt) : 0;
  return {
    events,
    seconds,
    eventsPerSecond: events / seconds,
    tenants: world.tenants.length,
    jobs: world.jobs.length,
    endpoints: world.endpoints.length,
    edges: world.edges.length,
    historyHours: span / 3_600_000,
    byType: Object.fromEntries([...history.log.byType].sort((a, b) => b[1] - a[1])),
    seed: options.seed,
  };
}
