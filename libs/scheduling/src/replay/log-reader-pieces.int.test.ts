import { endpointStream } from '@orrery/domain';
import { dispatched, registered, responded, T0 } from '@orrery/domain/testing';
import { migrateDatabase } from '@orrery/event-store';
import { useTestDatabase } from '@orrery/testkit';
import pg from 'pg';
import { beforeAll, describe, expect, it } from 'vitest';
import { schedulingMigrations } from '../migrations/index.js';
import { readLog, type LogChunk } from './log-reader.js';

const db = useTestDatabase();

/**
 * Events at these positions (the log's gaps are a rollback's or a repair's): around the edges of
 * the 2 048-position pieces a chunk is handed over in, and of the chunks themselves.
 */
const POSITIONS = [1, 2047, 2048, 2049, 5000, 19_999, 20_000, 20_001, 45_000];
const THROUGH = 45_000;

beforeAll(async () => {
  await migrateDatabase(db().url, undefined, schedulingMigrations);
  const events = POSITIONS.map((_, i) =>
    i === 0
      ? registered('e1')
      : i % 2 === 1
        ? dispatched(`run-${i}`, T0 + i * 1000)
        : responded(`run-${i - 1}`, { at: T0 + i * 1000 + 10 }),
  );
  const client = new pg.Client({ connectionString: db().url });
  await client.connect();
  try {
    for (const [i, position] of POSITIONS.entries()) {
      const event = events[i]!;
      await client.query(
        `insert into events (position, stream_id, stream_version, type, type_version, data,
           metadata, tenant_id)
         overriding system value
         values ($1, $2, $3, $4, 1, $5, $6, 't1')`,
        [
          position,
          endpointStream('t1', 'e1'),
          i + 1,
          event.type,
          JSON.stringify(event.data),
          JSON.stringify({ tenantId: 't1', actor: { kind: 'system', id: 'test' } }),
        ],
      );
    }
  } finally {
    await client.end();
  }
});

async function read(chunk: number): Promise<LogChunk[]> {
  const chunks: LogChunk[] = [];
  for await (const piece of readLog(db().url, { after: 0, through: THROUGH, chunk })) {
    chunks.push(piece);
  }
  return chunks;
}

describe('readLog, a chunk handed over in pieces', () => {
  it('reads every event once, in position order, each in the piece whose stretch holds it', async () => {
    for (const chunk of [20_000, 3_000]) {
      const pieces = await read(chunk);
      expect(pieces.flatMap((p) => p.events.map((e) => e.position))).toEqual(POSITIONS);
      expect(pieces.flatMap((p) => p.unreadable)).toEqual([]);
      // The stretches follow one another, from the start to the end, none longer than a piece.
      let after = 0;
      for (const piece of pieces) {
        expect(piece.through).toBeGreaterThan(after);
        expect(piece.through - after).toBeLessThanOrEqual(2048);
        for (const event of piece.events) {
          expect(event.position).toBeGreaterThan(after);
          expect(event.position).toBeLessThanOrEqual(piece.through);
        }
        after = piece.through;
      }
      expect(after).toBe(THROUGH);
    }
  });
});
