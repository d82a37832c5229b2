import { endpointStream, type AppendRequest, type RecordedEvent } from '@orrery/domain';
import { dispatched, registered, responded, SECOND, T0 } from '@orrery/domain/testing';
import { createPostgresEventStore, migrateDatabase } from '@orrery/event-store';
import { useTestDatabase } from '@orrery/testkit';
import { beforeAll, describe, expect, it } from 'vitest';
import { schedulingMigrations } from '../migrations/index.js';
import { readLog, type LogReadOptions } from './log-reader.js';

const db = useTestDatabase();
const ENDPOINTS = ['e1', 'e2', 'e3', 'e4', 'e5'];
/** Rounds of one event per endpoint: a log several of the reader's spans (256 positions) long. */
const ROUNDS = 181;
let logged: readonly RecordedEvent[] = [];

/** The endpoint's event of a round: registered, then runs dispatched and answered in turn. */
function eventOf(endpointId: string, round: number) {
  if (round === 0) return registered(endpointId);
  const run = `run-${endpointId}-${Math.ceil(round / 2)}`;
  const at = T0 + round * SECOND;
  return round % 2 === 1 ? dispatched(run, at) : responded(run, { at });
}

async function read(options: Omit<LogReadOptions, 'after'>): Promise<RecordedEvent[]> {
  const events: RecordedEvent[] = [];
  for await (const chunk of readLog(db().url, { after: 0, ...options })) {
    expect(chunk.unreadable).toEqual([]);
    events.push(...chunk.events);
  }
  return events;
}

const positions = (events: readonly RecordedEvent[]) => events.map((e) => e.position);

beforeAll(async () => {
  await migrateDatabase(db().url, undefined, schedulingMigrations);
  const store = createPostgresEventStore({ connectionString: db().url });
  try {
    // The endpoints' events interleaved, as a busy log has them.
    for (let round = 0; round < ROUNDS; round++) {
      const requests: AppendRequest[] = ENDPOINTS.map((id) => ({
        streamId: endpointStream('t1', id),
        expectedVersion: round,
        events: [eventOf(id, round)],
      }));
      await store.appendMany(requests);
    }
    logged = await store.readAll({ after: 0, limit: 10_000 });
  } finally {
    await store.close();
  }
});

describe('readLog over many spans of positions', () => {
  it('reads every event once, in position order, wherever chunks end', async () => {
    const head = ENDPOINTS.length * ROUNDS;
    expect(logged).toHaveLength(head);
    // Chunks that end inside a span, one smaller than a span, one larger than the log; a start
    // and an end inside the log.
    for (const chunk of [300, 100, 5_000]) {
      expect(await read({ through: head, chunk, verify: true }), `chunk ${chunk}`).toEqual(logged);
    }
    const middle = await read({ through: 700, chunk: 300, verify: true });
    expect(positions(middle)).toEqual(positions(logged.slice(0, 700)));
    const after = [];
    for await (const chunk of readLog(db().url, { after: 250, through: 520, verify: false })) {
      after.push(...chunk.events);
    }
    expect(positions(after)).toEqual(positions(logged.slice(250, 520)));
  });

  it('parts of the log hold every endpoint stream whole, in exactly one part', async () => {
    const head = ENDPOINTS.length * ROUNDS;
    const parts = await Promise.all(
      [0, 1, 2].map((index) =>
        read({ through: head, chunk: 400, verify: false, partition: { index, count: 3 } }),
      ),
    );
    for (const part of parts)
      expect(positions(part)).toEqual([...positions(part)].sort((a, b) => a - b));
    const streamsOf = (part: RecordedEvent[]) => new Set(part.map((e) => e.streamId));
    const owners = ENDPOINTS.map((id) =>
      parts.filter((part) => streamsOf(part).has(endpointStream('t1', id))),
    );
    expect(owners.map((o) => o.length)).toEqual(ENDPOINTS.map(() => 1));
    for (const part of parts) {
      for (const streamId of streamsOf(part)) {
        expect(part.filter((e) => e.streamId === streamId)).toHaveLength(ROUNDS);
      }
    }
    expect(parts.flatMap(positions).sort((a, b) => a - b)).toEqual(positions(logged));
  });
});
